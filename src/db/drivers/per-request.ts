/**
 * Connection per request (Workers, where a socket may not outlive its request): `acquire` opens a
 * `pg.Client`, `release` closes it. Nothing is shared between requests, so nothing needs draining.
 */
import pg from 'pg'
import { DbUnavailableError } from '../errors.js'
import { ConnectionMetrics } from '../metrics.js'
import type { ConnectionSource, Lease, PgClientLike, PoolStats } from '../types.js'
import { cancelRunningStatement, pgClientOptions, type PgSourceOptions } from './pg-options.js'

/** How a per-request source makes and cancels its connections (`pg` by default; Neon's driver over WebSocket). */
export interface ClientFactory {
  create(options: pg.ClientConfig): pg.Client
  cancel(options: pg.ClientConfig, client: PgClientLike): Promise<void>
}

const pgFactory: ClientFactory = { create: (options) => new pg.Client(options), cancel: cancelRunningStatement }

export function createPerRequestSource(
  { db, connectionString, logger, name = 'per-request' }: PgSourceOptions,
  factory: ClientFactory = pgFactory,
): ConnectionSource {
  const clientOptions = pgClientOptions(db, connectionString)
  const metrics = new ConnectionMetrics(name, db.leakWarnMs, logger)
  const open = new Set<pg.Client>()
  let ended = false

  return {
    name,
    async acquire(label?: string): Promise<Lease> {
      if (ended) throw new DbUnavailableError('connect_failed', 'connection source has been ended')
      const startedAt = metrics.beforeAcquire({ total: open.size, idle: 0, waiting: 0, max: Number.POSITIVE_INFINITY })
      const site = metrics.siteFor(label)
      const client = factory.create(clientOptions)
      let released = false
      // Once we close it, the socket's own teardown errors (workerd: "Stream was cancelled") are noise.
      client.on('error', (err) => {
        if (!released) logger.warn('connection error', { pool: name, error: err.message })
      })
      open.add(client)
      try {
        await connectWithin(client, db.connectTimeoutMs)
      } catch (err) {
        open.delete(client)
        metrics.timedOut()
        await client.end().catch(() => undefined)
        throw new DbUnavailableError('connect_failed', `could not connect to the database: ${(err as Error).message}`, 1, {
          cause: err,
        })
      }
      const checkout = metrics.acquired(startedAt, label, site)
      return {
        client,
        async release() {
          if (released) return
          released = true
          metrics.released(checkout)
          try {
            await client.end()
          } finally {
            open.delete(client)
          }
        },
      }
    },
    cancel: (client: PgClientLike) => factory.cancel(clientOptions, client),
    stats(): PoolStats {
      return {
        name,
        mode: 'per-request',
        total: open.size,
        idle: 0,
        waiting: 0,
        max: open.size,
        utilizationPercent: open.size > 0 ? 100 : 0,
        ...metrics.summary(),
      }
    },
    async end() {
      ended = true
      await Promise.allSettled([...open].map((c) => c.end()))
      open.clear()
    },
  }
}

/**
 * `client.connect()`, bounded by the connect timeout whatever the driver does with its own option
 * (Neon's WebSocket client ignores `connectionTimeoutMillis`): never a hang. The timer is cleared either way.
 */
function connectWithin(client: pg.Client, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([client.connect().then(() => undefined), timeout]).finally(() => clearTimeout(timer))
}
