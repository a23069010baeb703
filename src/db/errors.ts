/** Errors of the database layer; `src/errors.ts` maps them to HTTP answers. */

/**
 * No connection could be had in time: pool exhausted, the server unreachable, or — `saturated` — the
 * server or the pooler in front of it has no room for another client now. → 503 + Retry-After.
 */
export class DbUnavailableError extends Error {
  override name = 'DbUnavailableError'
  constructor(
    readonly reason: 'pool_exhausted' | 'connect_failed' | 'connection_lost' | 'saturated',
    message: string,
    readonly retryAfterS = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The request scope was ended (response sent, timeout, client gone); later queries must not run. */
export class ScopeClosedError extends Error {
  override name = 'ScopeClosedError'
  constructor(readonly reason: string) {
    super(`database scope closed: ${reason}`)
  }
}

/**
 * Postgres SQLSTATE of a driver error, if it has one. Every SQLSTATE has a digit (`08006`, `XX000`,
 * `P0001`); Node's socket errors (`EPIPE`, `ECONNRESET`) are not SQLSTATEs, however they look.
 */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code) ? code : undefined
}

const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'])
const LOST_MESSAGES = /Connection terminated|not queryable|socket hang up|Connection ended|closed the connection|WebSocket (was )?closed/i

/**
 * The statement failed because the connection did, not because of the statement: the server or the
 * network went away (`Connection terminated unexpectedly`, `read ECONNRESET`, `Client has encountered
 * a connection error and is not queryable`, a SQLSTATE of class 08 or 57P0x). Such a connection must
 * be destroyed, and the request answered 503 — the database is unavailable, not the request wrong.
 */
export function isConnectionLoss(err: unknown, client?: unknown): boolean {
  const state = sqlState(err)
  if (state !== undefined) return state.startsWith('08') || state.startsWith('57P0')
  const c = client as { _queryable?: boolean; _ending?: boolean } | undefined
  if (c && (c._queryable === false || c._ending === true)) return true
  const e = err as { code?: unknown; message?: unknown } | null
  return (typeof e?.code === 'string' && SOCKET_ERRORS.has(e.code)) || (typeof e?.message === 'string' && LOST_MESSAGES.test(e.message))
}

/** Postgres' `too_many_connections`: max_connections reached, the rest reserved, or a role's or database's CONNECTION LIMIT. */
export const TOO_MANY_CONNECTIONS = '53300'

// What the poolers say when they have no room: PgBouncer (max_client_conn, max_db_connections, a
// client that waited query_wait_timeout for a server connection), RDS Proxy (ConnectionBorrowTimeout),
// Supavisor (its client limit, a checkout that timed out). Only PgBouncer's are checked here, against 1.18.
const SATURATION_MESSAGES = /no more connections allowed|query_wait_timeout|Timed-out waiting to acquire database connection|Max client connections reached|Unable to check out process from the pool/i

/**
 * The server or a pooler in front of it refused for lack of room (53300, a pooler's limit or its
 * wait timeout): the database is saturated, not down — what to tell a client is "come back a little later".
 */
export function isSaturation(err: unknown): boolean {
  if (sqlState(err) === TOO_MANY_CONNECTIONS) return true
  const message = (err as { message?: unknown } | null)?.message
  return typeof message === 'string' && SATURATION_MESSAGES.test(message)
}

/**
 * A `saturated` error for `cause`. Its Retry-After is jittered — `base` to twice `base` seconds — so
 * the many clients one saturation turned away do not all come back in the same second.
 */
export function saturatedError(cause: unknown, baseS = 1, random = Math.random): DbUnavailableError {
  const base = Math.max(1, Math.ceil(baseS))
  const message = (cause as { message?: unknown } | null)?.message
  return new DbUnavailableError('saturated', `the database has no room for another connection now: ${typeof message === 'string' ? message : String(cause)}`, base + Math.floor(random() * (base + 1)), { cause })
}

/**
 * Why a connection was refused, in words that say what to change: a pooler refusing the statement
 * timeout as a startup parameter means DB_POOLER=none was set for a transaction-mode pooler.
 */
export function connectFailure(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message
  const text = typeof message === 'string' ? message : 'no client'
  return /unsupported startup parameter/i.test(text)
    ? `could not connect to the database: ${text} — DATABASE_URL reaches a transaction-mode pooler; leave DB_POOLER at its default (transaction)`
    : `could not connect to the database: ${text}`
}

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
export const CHECK_VIOLATION = '23514'
export const QUERY_CANCELED = '57014'
