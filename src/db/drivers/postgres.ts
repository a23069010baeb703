/**
 * `DB_DRIVER=postgres`: postgres.js (the `postgres` package) behind the same ConnectionSource.
 *
 * Pool mode (Node, Lambda): a statement, or a batch of independent statements, goes straight to the
 * pool — pipelined on a pooled connection, its own implicit transaction — so a request that only runs
 * statements never holds a connection between them. A transaction or `withClient` reserves one
 * (`sql.reserve()`) until the scope ends, exactly like a `pg` checkout: released at the end of the
 * request, destroyed if it is dirty.
 *
 * Per-request mode (Workers, where a socket may not outlive its request): each scope that needs the
 * database gets its own one-connection instance, ended when the scope ends.
 *
 * Errors with a SQLSTATE go to the caller as they are (`err.code`, as with `pg`); anything else — no
 * connection in time, the server unreachable, the socket gone — is a DbUnavailableError (503 +
 * Retry-After).
 */
import type postgres from 'postgres'
import type { Options, PendingQuery, ReservedSql, Row, Sql } from 'postgres'
import { connectFailure, DbUnavailableError, isSaturation, saturatedError, sqlState } from '../errors.js'
import { ConnectionMetrics, type Checkout } from '../metrics.js'
import type { ConnectionSource, Lease, PgClientLike, PoolStats, QueryResult, QueryResultRow, Statement, StatementChannel } from '../types.js'
import { perRequestStats } from './per-request.js'
import type { DbConfig } from '../../config/runtime.js'
import { cancelRunningStatement, clientStatementTimeoutMs, pgClientOptions, type PgSourceOptions } from './pg-options.js'

type Runner = Sql | ReservedSql
type Postgres = typeof postgres

let driver: Promise<Postgres> | undefined
/** Loaded at the first statement: a deployment on `pg` never reads or compiles postgres.js. */
const loadPostgres = (): Promise<Postgres> => (driver ??= import('postgres').then((m) => m.default))

/**
 * json and jsonb parameters as `pg` sends them: a string is already JSON (`JSON.stringify(rows)`
 * for `$1::jsonb`) and goes as it is; anything else is stringified. postgres.js would quote the string again.
 */
const pgJson = { to: 114, from: [114, 3802], serialize: (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x)), parse: (x: string) => JSON.parse(x) as unknown }

type Cancel = (pending: PendingQuery<Row[]>) => Promise<void>

/** What a running postgres.js query tells of its connection: the backend's cancel key, and the connection itself. */
interface OnTheWire {
  state?: { pid?: number | null; secret?: number | null }
  connection?: { destroy?(error?: Error): void }
}

/**
 * Cancels a statement the way libpq and `pg` do: the cancel request on its own socket, which is kept
 * open until the server (or pooler) closes it. postgres.js 4 half-closes its cancel socket at once,
 * and PgBouncer before 1.19 (Debian 12 ships 1.18) crashes when a cancel client leaves first
 * (pgbouncer#801) — every client of that pooler cut off. A statement that has still not ended a
 * connect timeout later is on a connection gone silent (a dead route): that connection is closed, so
 * its pool slot comes back. (postgres.js's own silence timer does not cover a statement cancelled
 * while its unnamed statement is being described, which is every statement without DB_PREPARE.)
 */
function canceller(db: DbConfig, connectionString: string): Cancel {
  const options = pgClientOptions(db, connectionString)
  return async (pending) => {
    const { state: backend, connection } = pending as OnTheWire
    // Not on the wire yet: postgres.js withdraws it without a socket.
    if (backend?.pid == null || backend.secret == null) return pending.cancel().catch(() => undefined)
    await cancelRunningStatement(options, { processID: backend.pid, secretKey: backend.secret })
    if (await settledWithin(pending, db.connectTimeoutMs)) return
    connection?.destroy?.(new Error(`no answer within ${db.connectTimeoutMs} ms of cancelling a statement: connection closed`))
  }
}

/** Whether `pending` settles (either way) within `ms`; the timer is cleared either way. */
function settledWithin(pending: PendingQuery<Row[]>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    pending.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer))
}

/** The postgres.js options a DbConfig asks for. */
export function postgresOptions({ db }: Pick<PgSourceOptions, 'db'>, max: number): Options<{}> {
  return {
    max,
    idle_timeout: db.idleTimeoutMs / 1000,
    connect_timeout: db.connectTimeoutMs / 1000,
    // Waiting for a pooled connection is bounded like connecting, as with `pg` — half a second
    // later: while the server refuses (53300: full), postgres.js retries the connect until
    // connect_timeout and then rejects the waiting statements with the server's own error, which
    // says what happened (saturated, not down). An exhausted pool is still answered within the bound.
    queue_timeout: (db.connectTimeoutMs + 500) / 1000,
    // Its retries of a refused connect, jittered as postgres.js does, but never spaced wider than an
    // eighth of the connect timeout: one falls just after it expires, so the verdict comes in time.
    backoff: (retries: number) => Math.min((0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 20), db.connectTimeoutMs / 8000),
    // A cancelled statement whose connection then stays silent (a black-holed network) closes that
    // connection after the same bound the scope gives a `pg` cancel, so its pool slot comes back.
    cancel_timeout: db.connectTimeoutMs / 1000,
    max_lifetime: db.maxLifetimeS > 0 ? db.maxLifetimeS : null,
    prepare: db.prepare,
    // Behind a transaction-mode pooler, one statement in flight per connection: PgBouncer before 1.21
    // hands the server connection to another client at each Sync, so a statement pipelined behind
    // another (postgres.js describes json parameters in a round trip of their own) gets its answers
    // on a connection it no longer has — "got packet from server when not linked", then a hang.
    ...(db.pooler === 'transaction' ? { max_pipeline: 1 } : {}),
    // Idle sockets do not keep the process alive (pg's allowExitOnIdle).
    unref_sockets: true,
    onnotice: false,
    types: { pgJson },
    connection: {
      application_name: db.applicationName,
      ...(db.pooler === 'none' && db.statementTimeoutMs > 0 ? { statement_timeout: db.statementTimeoutMs } : {}),
    },
  }
}

export function createPostgresSource(options: PgSourceOptions): ConnectionSource {
  return options.db.mode === 'per-request' ? createPerRequestPostgres(options) : createPooledPostgres(options)
}

function createPooledPostgres({ db, connectionString, logger, name = 'postgres' }: PgSourceOptions): ConnectionSource {
  let sql: Sql | undefined
  let ready: Promise<Sql> | undefined
  const pool = (): Sql | Promise<Sql> => sql ?? (ready ??= loadPostgres().then((postgres) => (sql = postgres(connectionString, postgresOptions({ db }, db.poolMax)))))
  const metrics = new ConnectionMetrics(name, db.leakWarnMs, logger)
  const cancel = canceller(db, connectionString)
  const occupancy = () => {
    const s = sql?.stats ?? { connections: 0, opening: 0, idle: 0, waiting: 0 }
    return { total: s.connections + s.opening, idle: s.idle, waiting: s.waiting, max: db.poolMax }
  }
  return {
    name,
    mode: 'pool',
    statements: statementChannel(pool, db.prepare, clientStatementTimeoutMs(db), cancel, db),
    statementTimeoutMs: clientStatementTimeoutMs(db),
    async acquire(label?: string): Promise<Lease> {
      const state = occupancy()
      const startedAt = metrics.beforeAcquire(state)
      const site = metrics.siteFor(label)
      let reserved: ReservedSql
      try {
        reserved = await (await pool()).reserve()
      } catch (err) {
        metrics.timedOut()
        if (isSaturation(err)) throw saturatedError(err, db.connectTimeoutMs / 1000)
        throw sqlState(err) === undefined ? unavailable(err, db.poolMax, db.connectTimeoutMs) : err
      }
      return new PostgresLease(new PostgresClient(reserved, db.prepare, cancel, db), metrics.acquired(startedAt, label, site), metrics, (destroy) => {
        // A dirty connection (a statement cut short, a transaction left open) must not serve another request.
        if (destroy) return destroyReserved(reserved)
        reserved.release()
      })
    },
    cancel: (client) => (client instanceof PostgresClient ? client.cancel() : Promise.resolve()),
    stats(): PoolStats {
      const s = occupancy()
      return { name, mode: 'pool', ...s, utilizationPercent: Math.round(((s.total - s.idle) / s.max) * 100), ...metrics.summary() }
    },
    end: async () => {
      const ending = sql ?? (await ready)
      await ending?.end({ timeout: 5 })
    },
  }
}

function createPerRequestPostgres({ db, connectionString, logger, name = 'postgres' }: PgSourceOptions): ConnectionSource {
  const metrics = new ConnectionMetrics(name, db.leakWarnMs, logger)
  const cancel = canceller(db, connectionString)
  const open = new Set<Sql>()
  let ended = false
  return {
    name,
    mode: 'per-request',
    statementTimeoutMs: clientStatementTimeoutMs(db),
    async acquire(label?: string): Promise<Lease> {
      if (ended) throw new DbUnavailableError('connect_failed', 'connection source has been ended')
      const [startedAt, site] = [metrics.beforeOpening(open.size), metrics.siteFor(label)]
      // It connects at its first statement; a database that is down fails that statement with a 503.
      const postgres = await loadPostgres()
      const sql = postgres(connectionString, { ...postgresOptions({ db }, 1), idle_timeout: null, max_lifetime: null })
      open.add(sql)
      const client = new PostgresClient(sql, db.prepare, cancel, db)
      return new PostgresLease(client, metrics.acquired(startedAt, label, site), metrics, async () => {
        open.delete(sql)
        await sql.end({ timeout: 0 }).catch(() => undefined)
      })
    },
    cancel: (client) => (client instanceof PostgresClient ? client.cancel() : Promise.resolve()),
    stats: () => perRequestStats(name, open.size, metrics),
    async end() {
      ended = true
      await Promise.all([...open].map((sql) => sql.end({ timeout: 0 }).catch(() => undefined)))
    },
  }
}

/**
 * Statements without a reserved connection: postgres.js picks a pooled one for each (or pipelines).
 * `timeoutMs` (where the server was not told the statement timeout): a statement running longer is
 * cancelled, as the request scope does on a leased connection.
 */
function statementChannel(pool: () => Sql | Promise<Sql>, prepare: boolean, timeoutMs: number, cancel: Cancel, limits: Limits): StatementChannel {
  // One `then` on the driver's promise, no async frame around it: this is every statement's path.
  const run = <R extends QueryResultRow>(pending: PendingQuery<Row[]>, signal: AbortSignal): Promise<QueryResult<R>> => {
    const cancellable = track(signal, pending, cancel)
    const timer = timeoutMs > 0 ? setTimeout(() => void cancel(pending), timeoutMs) : undefined
    return pending.then(
      (rows) => {
        clearTimeout(timer)
        cancellable.delete(pending)
        return asQueryResult<R>(rows)
      },
      (err: unknown) => {
        clearTimeout(timer)
        cancellable.delete(pending)
        throw mapped(err, limits)
      },
    )
  }
  const options = { prepare }
  return {
    // Not `async`: once the pool exists (every statement but the first), no extra promise in between.
    query<R extends QueryResultRow>(text: string, params: readonly unknown[] | undefined, signal: AbortSignal): Promise<QueryResult<R>> {
      const sql = pool()
      if (sql instanceof Promise) return sql.then((loaded) => run<R>(loaded.unsafe<Row[]>(text, (params ?? []) as never[], options), signal))
      return run<R>(sql.unsafe<Row[]>(text, (params ?? []) as never[], options), signal)
    },
    async batch(statements: readonly Statement[], signal: AbortSignal) {
      const sql = await pool()
      const queries = statements.map(({ text, params }) => sql.unsafe<Row[]>(text, (params ?? []) as never[], { prepare }))
      const cancellable = queries.map((q) => track(signal, q, cancel))
      // Pipelined as one: the batch gets the statement timeout once per statement in it.
      const timer = timeoutMs > 0 ? setTimeout(() => queries.forEach((q) => void cancel(q)), timeoutMs * queries.length) : undefined
      try {
        const results = (await sql.batch(queries)) as unknown as postgres.RowList<Row[]>[]
        return results.map((r) => asQueryResult(r))
      } catch (err) {
        throw mapped(err, limits)
      } finally {
        clearTimeout(timer)
        queries.forEach((q, i) => cancellable[i]!.delete(q))
      }
    },
  }
}

/**
 * Adds `pending` to the statements the scope's signal would cancel, and returns that set (the caller
 * deletes it once settled). One abort listener per scope, not one per statement, which would cost an
 * EventTarget round trip on every query of every request.
 */
const running = new WeakMap<AbortSignal, Set<PendingQuery<Row[]>>>()
function track(signal: AbortSignal, pending: PendingQuery<Row[]>, cancel: Cancel): Set<PendingQuery<Row[]>> {
  if (signal.aborted) void cancel(pending)
  let set = running.get(signal)
  if (!set) {
    const queries = new Set<PendingQuery<Row[]>>()
    running.set(signal, queries)
    signal.addEventListener('abort', () => {
      for (const q of queries) void cancel(q)
    }, { once: true })
    set = queries
  }
  return set.add(pending)
}

/** A connection of the scope's own: what the transaction code and `withClient` run statements on. */
export class PostgresClient implements PgClientLike {
  private running: PendingQuery<Row[]> | undefined
  constructor(
    private readonly sql: Runner,
    private readonly prepare: boolean,
    private readonly cancelStatement: Cancel,
    private readonly limits: Limits,
  ) {}

  async query<R extends QueryResultRow>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const pending = this.sql.unsafe<Row[]>(text, (params ?? []) as never[], { prepare: this.prepare })
    this.running = pending
    try {
      return asQueryResult<R>(await pending)
    } catch (err) {
      throw mapped(err, this.limits)
    } finally {
      if (this.running === pending) this.running = undefined
    }
  }

  /** Cancels the statement running now, if any (PostgreSQL's cancel request on its own socket). */
  cancel(): Promise<void> {
    return this.running ? this.cancelStatement(this.running) : Promise.resolve()
  }
}

class PostgresLease implements Lease {
  private released = false
  constructor(
    readonly client: PostgresClient,
    private readonly checkout: Checkout,
    private readonly metrics: ConnectionMetrics,
    private readonly giveBack: (destroy: boolean) => void | Promise<void>,
  ) {}

  release(destroy = false): void | Promise<void> {
    if (this.released) return
    this.released = true
    this.metrics.released(this.checkout)
    return this.giveBack(destroy)
  }
}

/** Closes a reserved connection instead of pooling it: postgres.js has no "destroy on release", so the session is terminated from inside. */
function destroyReserved(reserved: ReservedSql): Promise<void> {
  return reserved
    .unsafe('SELECT pg_terminate_backend(pg_backend_pid())')
    .then(
      () => undefined,
      () => undefined,
    )
    .finally(() => reserved.release())
}

/**
 * The same shape `pg` returns, so repositories cannot tell the drivers apart. `fields` is built
 * only if someone reads it (almost nothing does), instead of for every statement.
 */
function asQueryResult<R extends QueryResultRow>(result: postgres.RowList<Row[]>): QueryResult<R> {
  return new PostgresResult<R>(result as R[] & postgres.RowList<Row[]>)
}

class PostgresResult<R extends QueryResultRow> implements QueryResult<R> {
  readonly oid = 0
  // postgres.js's result is an Array subclass (its `map`/`filter` give plain arrays): the rows as they are, no copy.
  constructor(readonly rows: R[] & postgres.RowList<Row[]>) {}

  get command(): string {
    return this.rows.command
  }

  get rowCount(): number {
    return this.rows.count ?? this.rows.length
  }

  get fields(): QueryResult<R>['fields'] {
    return (this.rows.columns ?? []).map((c) => ({ name: c.name, tableID: c.table, columnID: c.number, dataTypeID: c.type, dataTypeSize: -1, dataTypeModifier: -1, format: 'text' as const }))
  }
}

/** postgres.js's codes for "no usable connection" (its own, and the socket's). */
const UNAVAILABLE = new Set(['CONNECT_TIMEOUT', 'QUEUE_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/** A Postgres error (a SQLSTATE) or a programming error as it is; a failure to reach or keep the server becomes a 503. */
/** What an error message says of the pool it came from. */
type Limits = Pick<DbConfig, 'poolMax' | 'connectTimeoutMs'>

function mapped(err: unknown, limits: Limits): unknown {
  if (isSaturation(err)) return saturatedError(err)
  if (/unsupported startup parameter/i.test((err as Error | null)?.message ?? '')) return new DbUnavailableError('connect_failed', connectFailure(err), 1, { cause: err })
  if (sqlState(err) !== undefined) return err
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && UNAVAILABLE.has(code) ? unavailable(err, limits.poolMax, limits.connectTimeoutMs) : err
}

function unavailable(err: unknown, poolMax: number, connectTimeoutMs: number): DbUnavailableError {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'QUEUE_TIMEOUT') {
    return new DbUnavailableError('pool_exhausted', `no database connection free within ${connectTimeoutMs} ms (pool max ${poolMax})`, Math.max(1, Math.ceil(connectTimeoutMs / 1000)), { cause: err })
  }
  const lost = code === 'CONNECTION_CLOSED' || code === 'CONNECTION_DESTROYED' || code === 'CONNECTION_ENDED'
  return new DbUnavailableError(lost ? 'connection_lost' : 'connect_failed', `${lost ? 'the database connection was lost' : 'could not connect to the database'}: ${(err as Error).message}`, 1, { cause: err })
}
