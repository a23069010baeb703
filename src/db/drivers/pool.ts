/**
 * The shared `pg.Pool` driver (Node, Lambda): small, `min: 0`, short idle timeout, max lifetime and
 * `allowExitOnIdle`, so after the idle timeout it holds no connection and no timer.
 */
import pg from 'pg'
import { DbUnavailableError } from '../errors.js'
import { ConnectionMetrics, type Checkout } from '../metrics.js'
import type { ConnectionSource, Lease, PgClientLike, PoolStats } from '../types.js'
import { cancelRunningStatement, pgClientOptions, type PgSourceOptions } from './pg-options.js'

export function createPoolSource({ db, connectionString, logger, name = 'main' }: PgSourceOptions): ConnectionSource {
  const clientOptions = pgClientOptions(db, connectionString)
  const pool = new pg.Pool({
    ...clientOptions,
    max: db.poolMax,
    min: 0,
    idleTimeoutMillis: db.idleTimeoutMs,
    maxLifetimeSeconds: db.maxLifetimeS,
    allowExitOnIdle: true,
  })
  const metrics = new ConnectionMetrics(name, db.leakWarnMs, logger)
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (err) => logger.warn('idle connection error', { pool: name, error: err.message }))

  const occupancy = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: db.poolMax })

  return {
    name,
    acquire(label?: string): Promise<Lease> {
      const state = occupancy()
      const startedAt = metrics.beforeAcquire(state)
      const site = metrics.siteFor(label)
      // Callback form: pg-pool's promise form adds two promises per checkout on the hot path.
      return new Promise<Lease>((resolve, reject) => {
        pool.connect((err, client) => {
          if (err || !client) {
            metrics.timedOut()
            const exhausted = state.total >= state.max && state.idle === 0
            reject(
              new DbUnavailableError(
                exhausted ? 'pool_exhausted' : 'connect_failed',
                exhausted
                  ? `no database connection free within ${db.connectTimeoutMs} ms (pool max ${db.poolMax})`
                  : `could not connect to the database: ${err?.message ?? 'no client'}`,
                Math.max(1, Math.ceil(db.connectTimeoutMs / 1000)),
                { cause: err },
              ),
            )
            return
          }
          guardAgainstErrors(client)
          resolve(new PoolLease(client, metrics.acquired(startedAt, label, site), metrics))
        })
      })
    },
    cancel: (client: PgClientLike) => cancelRunningStatement(clientOptions, client),
    stats(): PoolStats {
      const s = occupancy()
      return {
        name,
        mode: 'pool',
        ...s,
        utilizationPercent: Math.round(((s.total - s.idle) / s.max) * 100),
        ...metrics.summary(),
      }
    },
    end: () => pool.end(),
  }
}

const guarded = new WeakSet<pg.PoolClient>()

/**
 * pg-pool listens for a client's 'error' only while it is idle. A connection the server ends while
 * it is checked out (failover, `pg_terminate_backend`, a proxy timeout) would emit an unhandled
 * 'error' and take the process down; its query fails anyway, so this listener only has to exist.
 * Attached once per client, so a checkout costs nothing extra.
 */
function guardAgainstErrors(client: pg.PoolClient): void {
  if (guarded.has(client)) return
  guarded.add(client)
  client.on('error', () => undefined)
}

class PoolLease implements Lease {
  private released = false
  constructor(
    readonly client: pg.PoolClient,
    private readonly checkout: Checkout,
    private readonly metrics: ConnectionMetrics,
  ) {}

  release(destroy = false): void {
    if (this.released) return
    this.released = true
    this.metrics.released(this.checkout)
    this.client.release(destroy ? new Error('connection destroyed by request scope') : undefined)
  }
}
