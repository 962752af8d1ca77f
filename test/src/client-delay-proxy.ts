/**
 * A TCP proxy that delays every byte by a fixed time in each direction: put
 * in front of a node (which announces the proxy's address), it makes that
 * node a slow replica for everyone who dials it.
 */
import net from 'node:net'

export interface DelayProxy {
  /** the proxy's port on 127.0.0.1 */
  readonly port: number
  /** change the delay for bytes arriving from now on (ms) */
  delayMs: number
  /** bytes that went through, both directions */
  readonly bytes: number
  close(): Promise<void>
}

/** A free TCP port on 127.0.0.1 (closed again; a node listens on it next). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

export async function startDelayProxy (targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let bytes = 0
  const proxy = { delayMs, bytes: 0, port: 0, close }

  // data is forwarded after the delay, in arrival order (equal delays fire in order)
  const pipe = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (buf: Buffer) => {
      bytes += buf.byteLength
      proxy.bytes = bytes
      const t = setTimeout(() => {
        timers.delete(t)
        if (!to.destroyed) to.write(buf)
      }, proxy.delayMs)
      timers.add(t)
    })
    from.on('end', () => {
      const t = setTimeout(() => {
        timers.delete(t)
        to.end()
      }, proxy.delayMs)
      timers.add(t)
    })
    from.on('error', () => { to.destroy() })
    from.on('close', () => { sockets.delete(from) })
  }

  const server = net.createServer(client => {
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    pipe(client, upstream)
    pipe(upstream, client)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  proxy.port = (server.address() as net.AddressInfo).port

  async function close (): Promise<void> {
    for (const t of timers) clearTimeout(t)
    timers.clear()
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  }
  return proxy
}
