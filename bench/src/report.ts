import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** One measured figure, with what it is compared against in the same run. */
export interface Figure {
  scenario: string
  metric: string
  value: number
  unit: string
  /** the ceiling or peer measured in the same run, in the same unit */
  ceiling?: number
  /** what the ceiling is (e.g. "raw TCP", "Helia") */
  ceilingName?: string
  /** an optional target the figure is judged against, e.g. ">= 0.6 x raw TCP" */
  target?: string
  /** true when the figure meets its target; absent when there is none */
  met?: boolean
}

const figures: Figure[] = []

/** Records a figure and prints it as a markdown table row straight away. */
export function record (figure: Figure): void {
  figures.push(figure)
  if (figures.length === 1) {
    console.log('| scenario | metric | value | unit | beside | ratio | target |')
    console.log('| --- | --- | --- | --- | --- | --- | --- |')
  }
  const ratio = figure.ceiling != null && figure.ceiling !== 0 ? figure.value / figure.ceiling : undefined
  const beside = figure.ceiling != null ? `${fmt(figure.ceiling)} (${figure.ceilingName ?? 'ceiling'})` : ''
  const target = figure.target != null ? `${figure.target}${figure.met == null ? '' : figure.met ? ' ✓' : ' ✗'}` : ''
  console.log(`| ${figure.scenario} | ${figure.metric} | ${fmt(figure.value)} | ${figure.unit} | ${beside} | ${ratio != null ? ratio.toFixed(3) : ''} | ${target} |`)
}

export function fmt (n: number): string {
  if (Number.isInteger(n)) return String(n)
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3)
}

/** Writes every figure of this run to bench/results/latest.json. */
export async function writeResults (): Promise<string> {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../results')
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, 'latest.json')
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` }
  const date = new Date().toISOString()
  const rows = figures.map(f => ({
    ...f,
    ratio: f.ceiling != null && f.ceiling !== 0 ? f.value / f.ceiling : undefined,
    machine,
    date
  }))
  await writeFile(file, JSON.stringify(rows, null, 2) + '\n')
  return file
}
