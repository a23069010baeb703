import type { QueryResult, QueryResultRow } from 'pg'

export type { QueryResult, QueryResultRow }

/** Anything that runs SQL: a request scope, a transaction handle, a raw client. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>
}

/**
 * What application code sees. It never holds a connection itself: the scope behind it acquires one
 * on first use and gives it back when the request (or task run) ends.
 */
export interface Db extends Queryable {
  /** Run `fn` with the scope's connection (acquired if needed). */
  withClient<T>(fn: (client: Queryable) => Promise<T>): Promise<T>
  /** BEGIN … COMMIT, ROLLBACK on throw; nested calls on the handle become savepoints. */
  withTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>
  /**
   * Statements that do not depend on each other's results, all or nothing: one HTTP round trip on
   * `neon-http`, BEGIN … COMMIT (a savepoint inside a transaction) on a connection otherwise.
   */
  batch(statements: readonly Statement[]): Promise<QueryResult[]>
  /**
   * Gives a pooled connection back while this work waits (a task run waiting for its lease), so a
   * sleeper holds no pool slot; the next statement takes one again. Nothing happens inside a
   * transaction, with a statement running, without a connection, or with a connection per request
   * (closing and reopening it would cost more than it frees).
   */
  yieldConnection(): Promise<void> | void
}

export interface Statement {
  text: string
  params?: readonly unknown[]
}

/**
 * Statements without a connection (Neon's SQL over HTTP): each call is its own transaction, so a
 * scope uses it only while it holds no connection, and never for interactive transactions.
 */
export interface StatementChannel {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params: readonly unknown[] | undefined, signal: AbortSignal): Promise<QueryResult<R>>
  batch(statements: readonly Statement[], signal: AbortSignal): Promise<QueryResult[]>
}

/** The part of a `pg` client the database layer needs (both `pg.PoolClient` and `pg.Client` fit). */
export interface PgClientLike extends Queryable {
  /** Backend pid and cancel key, set by `pg` at connect time (not in @types/pg). */
  processID?: number | null
  secretKey?: number | null
}

/** A connection on loan from a source. `release` must be called exactly once. */
export interface Lease {
  readonly client: PgClientLike
  /**
   * Give the connection back; `destroy` closes it instead of returning it to a pool. Synchronous
   * for a pool; a promise when closing takes a round trip (connection per request).
   */
  release(destroy?: boolean): void | Promise<void>
}

export interface PoolStats {
  name: string
  mode: 'pool' | 'per-request'
  total: number
  idle: number
  waiting: number
  max: number
  utilizationPercent: number
  acquires: number
  acquireWaitMs: { avg: number; max: number }
  holdMs: { avg: number; max: number }
  timeouts: number
  leakWarnings: number
  /** Pooled connections found dead before use (a frozen process, a forgotten connection) and replaced. */
  staleReplaced: number
}

/** Where connections come from: a shared pool, or one connection per request. */
export interface ConnectionSource {
  readonly name: string
  /** A shared pool (a connection given back is reused), or a connection opened and closed per request. */
  readonly mode: 'pool' | 'per-request'
  /** Set when single statements can run without a connection (`neon-http`, postgres.js's pool). */
  readonly statements?: StatementChannel
  /**
   * A statement on a leased connection running longer is cancelled by the request scope, and each
   * transaction sets it with `SET LOCAL`: where the server was not told at connect (behind a
   * transaction-mode pooler). 0 or unset: the server enforces it, or there is none.
   */
  readonly statementTimeoutMs?: number
  /** `label` names the acquirer (route, task) in metrics and leak warnings. */
  acquire(label?: string): Promise<Lease>
  /** Cancel the statement running on `client` (PostgreSQL cancel request on a separate socket). */
  cancel(client: PgClientLike): Promise<void>
  stats(): PoolStats
  /** Close every connection; idle ones at once, busy ones when released. */
  end(): Promise<void>
}
