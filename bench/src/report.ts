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
  /** anything else worth keeping with the figure (runs, settings); written to the JSON, not printed */
  detail?: Record<string, unknown>
}

const figures: Figure[] = []
const notes: Array<{ scenario: string, text: string }> = []
/** true while the rows printed last are a table that the next row may continue */
let tableOpen = false

/** Records a figure and prints it as a markdown table row straight away. */
export function record (figure: Figure): void {
  figures.push(figure)
  if (!tableOpen) {
    console.log('| scenario | metric | value | unit | beside | ratio | target |')
    console.log('| --- | --- | --- | --- | --- | --- | --- |')
    tableOpen = true
  }
  const ratio = figure.ceiling != null && figure.ceiling !== 0 ? figure.value / figure.ceiling : undefined
  const beside = figure.ceiling != null ? `${fmt(figure.ceiling)} (${figure.ceilingName ?? 'ceiling'})` : ''
  const target = figure.target != null ? `${figure.target}${figure.met == null ? '' : figure.met ? ' ✓' : ' ✗'}` : ''
  console.log(`| ${figure.scenario} | ${figure.metric} | ${fmt(figure.value)} | ${figure.unit} | ${beside} | ${ratio != null ? ratio.toFixed(3) : ''} | ${target} |`)
}

/**
 * Prints a line of context (settings, how a figure was taken) outside the
 * table and keeps it in the results JSON. The next `record` starts a new
 * table with its header, so the markdown stays well formed.
 */
export function note (scenario: string, text: string): void {
  notes.push({ scenario, text })
  if (tableOpen) console.log('')
  tableOpen = false
  console.log(`${scenario}: ${text}`)
}

export function fmt (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Number.isInteger(n)) return String(n)
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3)
}

/**
 * Writes every figure of this run to bench/results/latest.json (an array of
 * rows, each with scenario, metric, value, unit, ceiling, ceilingName, ratio
 * (null when nothing is beside it), machine and date); notes go to
 * bench/results/latest-notes.json.
 */
export async function writeResults (): Promise<string> {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../results')
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, 'latest.json')
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` }
  const date = new Date().toISOString()
  // every row carries the same keys: a figure with nothing beside it has ceiling and ratio null
  const rows = figures.map(f => ({
    ...f,
    ceiling: f.ceiling ?? null,
    ceilingName: f.ceilingName ?? null,
    ratio: f.ceiling != null && f.ceiling !== 0 ? f.value / f.ceiling : null,
    machine,
    date
  }))
  await writeFile(file, JSON.stringify(rows, null, 2) + '\n')
  await writeFile(path.join(dir, 'latest-notes.json'), JSON.stringify({ date, machine, notes }, null, 2) + '\n')
  return file
}
