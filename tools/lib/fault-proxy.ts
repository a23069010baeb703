/**
 * A TCP proxy on loopback that breaks the network between the app and Postgres on command, for
 * the fault tests (`npm run test:faults`) and anyone reproducing a production failure:
 * - `cut('reset' | 'close')` ends every connection now: an RST (`read ECONNRESET`) or a FIN
 *   (`Connection terminated unexpectedly`), as a failover or a proxy timeout does;
 * - `stall()` stops forwarding bytes both ways without closing anything (a network that hangs),
 *   `resume()` lets them through again;
 * - `blackhole()` drops the current connections silently — nothing is forwarded and nothing is
 *   ever closed, as when a route dies; new connections work;
 * - `forget()` drops them as a NAT gateway or a server that gave up on a frozen Lambda does: the
 *   server side is closed, the client hears nothing until it writes, and then gets an RST
 *   (`read ECONNRESET` on the first query after the thaw); new connections work;
 * - `refuse(true)` closes new connections at once (the server is gone).
 * Development and tests only: it is a loop of sockets, never runtime code.
 */
import net from 'node:net'

export interface FaultProxy {
  readonly port: number
  /** `databaseUrl` with its host and port replaced by the proxy's. */
  url(databaseUrl: string): string
  /** Connections currently passing through (not counting black-holed ones). */
  readonly open: number
  /**
   * The black-holed connections: the local port of each one's socket to the server (the backend's
   * `client_port` in `pg_stat_activity`) and whether the client has closed its side since. The
   * server's side stays open, as on a dead route: its backend lingers whatever the client does.
   */
  blackholed(): { serverPort: number; clientPort: number; clientClosed: boolean }[]
  cut(mode?: 'reset' | 'close'): void
  stall(): void
  resume(): void
  blackhole(): void
  forget(): void
  refuse(on: boolean): void
  close(): Promise<void>
}

interface Pair {
  client: net.Socket
  server: net.Socket
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>()
  const holes = new Set<Pair>()
  const forgotten = new Set<Pair>()
  let stalled = false
  let refusing = false

  const proxy = net.createServer((client) => {
    if (refusing) return void client.destroy()
    const server = net.connect(target.port, target.host)
    const pair = { client, server }
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      server.destroy()
    }
    for (const [from, to] of [[client, server], [server, client]] as const) {
      from.on('data', (chunk) => {
        if (holes.has(pair)) return // swallowed
        if (forgotten.has(pair)) return void client.resetAndDestroy()
        if (!to.write(chunk)) from.pause()
      })
      to.on('drain', () => {
        if (!stalled && !holes.has(pair)) from.resume()
      })
      from.on('error', () => undefined)
      from.on('close', () => {
        if (forgotten.has(pair) && from === client) forgotten.delete(pair)
        if (!holes.has(pair) && !forgotten.has(pair)) end()
      })
    }
    if (stalled) {
      client.pause()
      server.pause()
    }
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const port = (proxy.address() as net.AddressInfo).port

  return {
    port,
    url(databaseUrl) {
      const url = new URL(databaseUrl)
      url.hostname = '127.0.0.1'
      url.port = String(port)
      return url.toString()
    },
    get open() {
      return pairs.size
    },
    blackholed() {
      return [...holes].map(({ client, server }) => ({ serverPort: server.localPort ?? 0, clientPort: client.remotePort ?? 0, clientClosed: client.closed }))
    },
    cut(mode = 'reset') {
      for (const pair of [...pairs]) {
        pairs.delete(pair)
        if (mode === 'reset') {
          pair.client.resetAndDestroy()
          pair.server.resetAndDestroy()
        } else {
          pair.client.destroy()
          pair.server.destroy()
        }
      }
    },
    stall() {
      stalled = true
      for (const { client, server } of pairs) {
        client.pause()
        server.pause()
      }
    },
    resume() {
      stalled = false
      for (const { client, server } of pairs) {
        client.resume()
        server.resume()
      }
    },
    blackhole() {
      for (const pair of [...pairs]) {
        pairs.delete(pair)
        holes.add(pair)
        // Reading on, so the peers' writes succeed and vanish, as on a dead route.
        pair.client.resume()
        pair.server.resume()
      }
    },
    forget() {
      for (const pair of [...pairs]) {
        pairs.delete(pair)
        forgotten.add(pair)
        pair.server.destroy()
      }
    },
    refuse(on) {
      refusing = on
    },
    async close() {
      for (const pair of [...pairs, ...holes, ...forgotten]) {
        pair.client.destroy()
        pair.server.destroy()
      }
      pairs.clear()
      holes.clear()
      forgotten.clear()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    },
  }
}
