/**
 * Node entry: the app on @hono/node-server over a shared pool. Run directly with DATABASE_URL set
 * (`tsx functions/node.ts`), or through `npm start`, which adds an embedded Postgres first.
 */
import './node-crypto.js'
import './node-websocket.js'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { serve, type HttpBindings, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { createApp, type App } from '../src/app.js'
import { ConfigError, loadConfig, type Config } from '../src/config.js'
import { createConnectionSource } from '../src/db/connections.js'
import type { ConnectionSource } from '../src/db/types.js'
import { createLogger, type Logger } from '../src/logger.js'
import { schedules } from '../cron/schedules.js'
import { publicOnlyFetch, resolveHost } from './public-fetch.js'
import { createSqsPublisher } from './sqs-publisher.js'
import type { ScheduleEntry } from '../src/tasks/types.js'

export interface NodeServer {
  url: string
  connections: ConnectionSource
  /** Stops accepting, lets in-flight requests finish (bounded), then drains the pool. */
  close(graceMs?: number): Promise<void>
}

export interface NodeServerOptions {
  logger?: Logger
  /** Adds routes after the app's own (tests use it for deliberately slow or leaky routes). */
  extend?: (app: App) => void
  /** The schedule registry. @default cron/schedules.ts */
  schedules?: readonly ScheduleEntry[]
}

export async function startNodeServer(config: Config, options: NodeServerOptions = {}): Promise<NodeServer> {
  const logger = options.logger ?? createLogger(config.logLevel)
  if (!config.db.url) throw new Error('DATABASE_URL is required to start the Node server')
  const connections = createConnectionSource(config.db, config.db.url, logger)
  const app = createApp({
    config,
    logger,
    connections,
    clientIp: (c) => getConnInfo(c).remote.address,
    onClientGone: watchClientGone,
    schedules: options.schedules ?? schedules,
    resolveHost,
    webhookFetch: publicOnlyFetch(config.webhooks.allowHosts),
    publisher: createSqsPublisher(config.queue, logger),
  })
  options.extend?.(app)
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

/** SIGINT/SIGTERM → close the server, drain the pool, run `after` (e.g. stop Postgres), exit. */
export function exitOnSignals(close: () => Promise<void>, logger: Logger): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    close().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error('shutdown failed', { error: err.message })
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let config: Config
  try {
    config = loadConfig(process.env, 'node')
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(err.message)
    process.exit(1)
  }
  const logger = createLogger(config.logLevel)
  const server = await startNodeServer(config, { logger })
  logger.info('listening', { url: server.url })
  exitOnSignals(() => server.close(), logger)
}
