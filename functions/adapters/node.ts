/**
 * lowtide's runtime on Node: any app built with `createRuntime`, served by @hono/node-server over a
 * shared pool, with Node's platform clients handed in (node:crypto's SHA-256, the AWS SDK publisher,
 * DNS and a public-only fetch) and a graceful close (stop accepting, let requests finish, drain the
 * pool). Like `@hono/node-server` for Hono: the app stays platform-free.
 */
import '../node-websocket.js'
import type { AddressInfo } from 'node:net'
import { serve, type HttpBindings, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import type { RuntimeConfig } from '../../src/config/runtime.js'
import { createConnectionSource } from '../../src/db/connections.js'
import type { ConnectionSource } from '../../src/db/types.js'
import { createLogger, type Logger } from '../../src/logger.js'
import { nodePlatform, type NodePlatform } from './node-platform.js'

export type { NodePlatform } from './node-platform.js'

/** What an adapter serves: a Hono app, or anything with its `fetch`. */
export interface FetchApp {
  fetch(request: Request, env?: unknown, ctx?: never): Response | Promise<Response>
}

export interface NodeServer {
  url: string
  connections: ConnectionSource
  /** Stops accepting, lets in-flight requests finish (bounded), then drains the pool. */
  close(graceMs?: number): Promise<void>
}

export async function serveNode<C extends RuntimeConfig>(config: C, build: (platform: NodePlatform<C>) => FetchApp, options: { logger?: Logger } = {}): Promise<NodeServer> {
  const logger = options.logger ?? createLogger(config.logLevel)
  if (!config.db.url) throw new Error('DATABASE_URL is required to start the Node server')
  const connections = createConnectionSource(config.db, config.db.url, logger)
  const app = build({ ...nodePlatform(config, logger, connections), clientIp: (c) => getConnInfo(c).remote.address, onClientGone: watchClientGone })
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => {
      s.off('error', reject)
      resolve(s)
    })
    // e.g. EADDRINUSE: fail start-up instead of waiting forever for 'listening'.
    s.once('error', (err) => {
      void connections.end()
      reject(new Error(`cannot listen on ${config.host}:${config.port}: ${err.message}`, { cause: err }))
    })
  })
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host

  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    connections,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          let grace: ReturnType<typeof setTimeout> | undefined
          server.close(() => {
            clearTimeout(grace)
            resolve()
          })
          if ('closeIdleConnections' in server) server.closeIdleConnections()
          grace = setTimeout(() => {
            if ('closeAllConnections' in server) server.closeAllConnections()
          }, graceMs)
          grace.unref()
        })
        await connections.end()
      })()
      return closing
    },
  }
}

/**
 * A response's 'close' comes once, when it is done or when its socket died first; only the latter
 * means the client left. The listener goes away with the response object, so none is removed here.
 * (An anonymous listener on purpose: tsx keeps function names by wrapping each named closure in a
 * helper call, which costs ~2 µs per request on this path.)
 */
function watchClientGone(c: Context, onGone: () => void): void {
  const outgoing = (c.env as HttpBindings).outgoing
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) onGone()
  })
}
