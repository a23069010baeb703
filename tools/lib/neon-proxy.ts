/**
 * Neon's WebSocket protocol is a plain WebSocket-to-TCP pipe. This proxy (the `ws` package, on
 * loopback) forwards each WebSocket to the Postgres in its `?address=host:port`, so Neon's driver
 * can run against the test database.
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import '../../functions/node-websocket.js'

export interface NeonProxy {
  /** For NEON_WS_PROXY: `127.0.0.1:<port>/v1?address={host}:{port}`. */
  template: string
  /** WebSockets opened so far. */
  readonly connections: number
  stop(): Promise<void>
}

export async function startNeonProxy(): Promise<NeonProxy> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  let connections = 0
  wss.on('connection', (socket, req) => {
    connections++
    const address = new URL(req.url ?? '/', 'http://proxy').searchParams.get('address') ?? ''
    const [host, port] = address.split(':')
    const tcp = net.connect({ host, port: Number(port), noDelay: true }) // as pg does: no Nagle delay on each small message
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data) => tcp.write(data as Buffer))
    tcp.on('data', (data) => socket.send(data))
    const close = () => {
      tcp.destroy()
      socket.close()
    }
    socket.on('close', close)
    socket.on('error', close)
    tcp.on('close', close)
    tcp.on('error', close)
  })
  const { port } = wss.address() as AddressInfo
  return {
    template: `127.0.0.1:${port}/v1?address={host}:{port}`,
    get connections() {
      return connections
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  }
}
