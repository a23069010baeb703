/**
 * The shared `pg.Pool` driver (Node, Lambda): small, `min: 0`, short idle timeout, max lifetime and
 * `allowExitOnIdle`, so after the idle timeout it holds no connection and no timer. A connection that
 * sat idle is checked before a request gets it (idle-check.ts): a frozen and thawed process never
 * hands a dead one to a request.
 */
import pg from 'pg'
import { connectFailure, DbUnavailableError, isSaturation, saturatedError } from '../errors.js'
import { ConnectionMetrics, type Checkout } from '../metrics.js'
import type { ConnectionSource, Lease, PgClientLike, PoolStats } from '../types.js'
import { IdleCheck } from './idle-check.js'
import { pause, saturationRetryMs } from './saturation.js'
import { cancelRunningStatement, clientStatementTimeoutMs, pgClientOptions, type PgSourceOptions } from './pg-options.js'

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
  // Half the connect timeout: a request waiting for the pool meanwhile still gets the replacement within its bound.
  const idle = new IdleCheck({ checkAfterMs: db.checkIdleAfterMs, idleTimeoutMs: db.idleTimeoutMs, timeoutMs: Math.max(1, Math.floor(db.connectTimeoutMs / 2)) })
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (err) => logger.warn('idle connection error', { pool: name, error: err.message }))

  const occupancy = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: db.poolMax })

  /** A pooled connection that turned out dead: closed, counted, and the checkout tried again. */
  const replace = (client: pg.PoolClient, reason: string) => {
    metrics.staleReplaced++
    logger.warn('dead pooled connection replaced', { pool: name, idleMs: idle.idleMs(client), reason })
    client.release(new Error(`stale pooled connection: ${reason}`))
    // pg ends a client politely (Terminate, then FIN, then wait for the peer's FIN): a black-holed
    // peer never answers, and the half-closed socket would keep the process alive. It is dead: close it.
    ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
  }

  return {
    name,
    mode: 'pool',
    statementTimeoutMs: clientStatementTimeoutMs(db),
    acquire(label?: string): Promise<Lease> {
      const state = occupancy()
      const startedAt = metrics.beforeAcquire(state)
      const site = metrics.siteFor(label)
      const lease = (client: pg.PoolClient) => new PoolLease(client, metrics.acquired(startedAt, label, site), metrics, idle)
      return new Promise<Lease>((resolve, reject) => {
        // Callback form: pg-pool's promise form adds two promises per checkout on the hot path.
        // Each replacement removes a connection from the pool, so this ends with a new connection at the latest.
        let refusals = 0
        const checkout = () =>
          pool.connect((err, client) => {
            if (err || !client) {
              if (isSaturation(err)) {
                const wait = db.connectRetry ? saturationRetryMs(++refusals, startedAt, db.connectTimeoutMs) : undefined
                if (wait !== undefined) return void pause(wait).then(checkout)
                metrics.timedOut()
                return reject(saturatedError(err, db.connectTimeoutMs / 1000))
              }
              metrics.timedOut()
              const exhausted = state.total >= state.max && state.idle === 0
              reject(
                new DbUnavailableError(
                  exhausted ? 'pool_exhausted' : 'connect_failed',
                  exhausted
                    ? `no database connection free within ${db.connectTimeoutMs} ms (pool max ${db.poolMax})`
                    : connectFailure(err),
                  Math.max(1, Math.ceil(db.connectTimeoutMs / 1000)),
                  { cause: err },
                ),
              )
              return
            }
            guardAgainstErrors(client)
            const verdict = idle.verdict(client)
            if (verdict === 'use') return resolve(lease(client))
            if (verdict === 'drop') {
              replace(client, 'idle past the idle timeout, or since before a connection found dead')
              return checkout()
            }
            idle.check(client).then(
              () => resolve(lease(client)),
              (why: Error) => {
                replace(client, why.message)
                checkout()
              },
            )
          })
        checkout()
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
    private readonly idle: IdleCheck,
  ) {}

  release(destroy = false): void {
    if (this.released) return
    this.released = true
    this.metrics.released(this.checkout)
    if (destroy) return this.client.release(new Error('connection destroyed by request scope'))
    this.idle.released(this.client)
    this.client.release()
  }
}
