/**
 * Connection per request (Workers, where a socket may not outlive its request): `acquire` opens a
 * `pg.Client`, `release` closes it. Nothing is shared between requests, so nothing needs draining.
 */
import pg from 'pg'
import { connectFailure, DbUnavailableError, isSaturation, saturatedError } from '../errors.js'
import { ConnectionMetrics } from '../metrics.js'
import type { ConnectionSource, Lease, PgClientLike, PoolStats } from '../types.js'
import { cancelRunningStatement, clientStatementTimeoutMs, pgClientOptions, type PgSourceOptions } from './pg-options.js'
import { pause, saturationRetryMs } from './saturation.js'

/** How a per-request source makes and cancels its connections (`pg` by default; Neon's driver over WebSocket). */
export interface ClientFactory {
  /** May be async: a driver can be loaded at the first connection. */
  create(options: pg.ClientConfig): pg.Client | Promise<pg.Client>
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
    mode: 'per-request',
    statementTimeoutMs: clientStatementTimeoutMs(db),
    async acquire(label?: string): Promise<Lease> {
      if (ended) throw new DbUnavailableError('connect_failed', 'connection source has been ended')
      const startedAt = metrics.beforeOpening(open.size)
      const site = metrics.siteFor(label)
      let released = false
      let connectionEnded = false
      let client: pg.Client
      for (let refusals = 0; ; ) {
        client = await factory.create(clientOptions)
        // Once we close it, the socket's own teardown errors (workerd: "Stream was cancelled") are noise.
        client.on('error', (err) => {
          if (!released) logger.warn('connection error', { pool: name, error: err.message })
        })
        client.once('end', () => {
          connectionEnded = true
        })
        open.add(client)
        try {
          await connectWithin(client, db.connectTimeoutMs)
          break
        } catch (err) {
          open.delete(client)
          // Not awaited: a client whose connect failed may never finish ending (Neon's WebSocket client does not).
          void client.end().catch(() => undefined)
          if (isSaturation(err)) {
            const wait = db.connectRetry ? saturationRetryMs(++refusals, startedAt, db.connectTimeoutMs) : undefined
            if (wait !== undefined) {
              await pause(wait)
              continue
            }
          }
          metrics.timedOut()
          if (isSaturation(err)) throw saturatedError(err, db.connectTimeoutMs / 1000)
          throw new DbUnavailableError('connect_failed', connectFailure(err), 1, { cause: err })
        }
      }
      const checkout = metrics.acquired(startedAt, label, site)
      return {
        client,
        async release() {
          if (released) return
          released = true
          metrics.released(checkout)
          try {
            if (!connectionEnded) await settleWithin(client.end(), db.connectTimeoutMs)
          } finally {
            open.delete(client)
          }
        },
      }
    },
    // Bounded whatever the driver does: the scope waits for the cancel before it lets go of the connection.
    cancel: (client: PgClientLike) => settleWithin(factory.cancel(clientOptions, client), db.connectTimeoutMs),
    stats: () => perRequestStats(name, open.size, metrics),
    async end() {
      ended = true
      await Promise.allSettled([...open].map((c) => settleWithin(c.end(), db.connectTimeoutMs)))
      open.clear()
    },
  }
}

/**
 * `client.connect()`, bounded by the connect timeout whatever the driver does with its own option
 * (Neon's WebSocket client ignores `connectionTimeoutMillis`): never a hang.
 */
function connectWithin(client: pg.Client, ms: number): Promise<void> {
  return settleWithin(client.connect(), ms, true)
}

/**
 * Waits for `promise` at most `ms`: then rejects (`failOnTimeout`) or gives up quietly. Closing a
 * client whose connection already failed may never settle with Neon's WebSocket client, and a
 * request must not hang on it. The timer is cleared either way.
 */
function settleWithin(promise: Promise<unknown>, ms: number, failOnTimeout = false): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => (failOnTimeout ? reject(new Error(`timed out after ${ms} ms`)) : resolve()), ms)
  })
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer))
}

/** A per-request source's numbers: every open connection is busy (it is its request's), none idle or waited for. */
export function perRequestStats(name: string, open: number, metrics: ConnectionMetrics): PoolStats {
  return { name, mode: 'per-request', total: open, idle: 0, waiting: 0, max: open, utilizationPercent: open > 0 ? 100 : 0, ...metrics.summary() }
}
