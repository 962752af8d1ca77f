/**
 * Talking to a node's admin HTTP port, with failures as one actionable line.
 * node:http rather than fetch: fetch refuses the ports on the browser
 * "bad ports" list (6000, 10080, ...), which an operator may well pick.
 */
import { request } from 'node:http'
import { ADMIN_TIMEOUT_MS } from './constants.js'
import { CliError } from './errors.js'
import type { StatusReport } from './node/status-report.js'

/** The admin endpoint is missing on that node (e.g. POST /drain before self-healing). */
export class AdminNotFoundError extends CliError {}

export async function adminRequest (base: string, method: 'GET' | 'POST', route: string, timeoutMs = ADMIN_TIMEOUT_MS): Promise<unknown> {
  const url = new URL(route, base.endsWith('/') ? base : `${base}/`)
  let res: { status: number, text: string }
  try {
    res = await httpRequest(url, method, timeoutMs)
  } catch (err) {
    throw unreachable(base, err)
  }
  const text = res.text
  if (res.status === 404) throw new AdminNotFoundError(`${base} has no ${method} ${route}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new CliError(`${base} answered ${method} ${route} with something that is not JSON: is that a weft admin port?`)
  }
  if (res.status < 200 || res.status > 299) {
    const message = (body as { error?: unknown } | null)?.error
    throw new CliError(`${base}${route}: ${typeof message === 'string' ? message : `HTTP ${res.status}`}`)
  }
  return body
}

export async function fetchStatus (base: string, timeoutMs?: number): Promise<StatusReport> {
  const body = await adminRequest(base, 'GET', '/status', timeoutMs)
  const report = body as Partial<StatusReport> | null
  if (report == null || typeof report.peerId !== 'string' || !Array.isArray(report.members)) {
    throw new CliError(`${base}/status is not a weft node status: is that a weft admin port?`)
  }
  return report as StatusReport
}

/** Admin answers are small JSON documents; anything bigger is not one. */
const MAX_ADMIN_RESPONSE_BYTES = 16 * 2 ** 20

async function httpRequest (url: URL, method: string, timeoutMs: number): Promise<{ status: number, text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength
        if (size > MAX_ADMIN_RESPONSE_BYTES) {
          req.destroy(new Error('answer too large'))
          return
        }
        chunks.push(chunk)
      })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })) })
    req.on('error', reject)
    req.end()
  })
}

function unreachable (base: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code
  const why = code === 'ETIMEDOUT'
    ? 'no answer in time'
    : code === 'ECONNREFUSED' ? 'connection refused' : code ?? (err as Error).message
  return new CliError(`cannot reach admin ${base}: ${why}; is the node running? (\`weft up\` starts a local mesh)`, undefined, { cause: err })
}
