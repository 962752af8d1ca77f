import { createServer } from 'node:http'
import type { Registry } from 'prom-client'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/**
 * The admin HTTP port: `/metrics` (Prometheus text) and `/status` (JSON).
 * Bound to 127.0.0.1 by default; it has no authentication, so it must not be
 * exposed beyond the host without a proxy in front.
 */
export interface AdminServerInit {
  /** @default '127.0.0.1' */
  host?: string
  /** @default 0 (any free port) */
  port?: number
  registry: Registry
  /** the JSON behind `weft status` */
  status: () => unknown
  /** extra POST routes, e.g. `/drain` */
  actions?: Record<string, () => Promise<unknown>>
}

export interface AdminServer {
  /** `http://host:port` once listening */
  readonly url: string
  close: () => Promise<void>
}

export async function startAdminServer (init: AdminServerInit): Promise<AdminServer> {
  const server = createServer((req, res) => {
    handle(init, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: err instanceof Error ? err.message : String(err) }))
      else res.destroy()
    })
  })
  // an idle admin client must not keep a stopping node alive
  server.keepAliveTimeout = 1000
  await listen(server, init.port ?? 0, init.host ?? '127.0.0.1')
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

async function handle (init: AdminServerInit, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin')
  if (req.method === 'GET' && url.pathname === '/metrics') {
    send(res, 200, init.registry.contentType, await init.registry.metrics())
    return
  }
  if (req.method === 'GET' && url.pathname === '/status') {
    send(res, 200, 'application/json', JSON.stringify(init.status()))
    return
  }
  const action = init.actions?.[url.pathname]
  if (req.method === 'POST' && action != null) {
    send(res, 200, 'application/json', JSON.stringify(await action() ?? {}))
    return
  }
  send(res, 404, 'application/json', JSON.stringify({ error: `no such admin endpoint: ${req.method} ${url.pathname}; try GET /status or GET /metrics` }))
}

function send (res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

async function listen (server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
