import { createServer } from 'node:net'

/** Whether `host:port` can be listened on right now (it may be taken a moment later). */
export async function isPortFree (host: string, port: number): Promise<boolean> {
  if (port === 0) return true
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => { resolve(true) })
    })
  })
}
