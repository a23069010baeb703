/**
 * fauxqs on loopback only. fauxqs 1.9 always listens on 0.0.0.0; a local queue for development and
 * tests has no business on other interfaces, so while it starts, a listen on 0.0.0.0 becomes one on
 * 127.0.0.1 (restored right after).
 */
import net from 'node:net'
import { startFauxqs } from 'fauxqs'

export type FauxqsServer = Awaited<ReturnType<typeof startFauxqs>>

export async function startLoopbackFauxqs(): Promise<FauxqsServer> {
  const original = net.Server.prototype.listen
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const options = args[0]
    if (options && typeof options === 'object' && (options as net.ListenOptions).host === '0.0.0.0') {
      args[0] = { ...(options as net.ListenOptions), host: '127.0.0.1' }
    }
    return (original as (...a: unknown[]) => net.Server).apply(this, args)
  } as typeof original
  try {
    return await startFauxqs({ port: 0, logger: false })
  } finally {
    net.Server.prototype.listen = original
  }
}
