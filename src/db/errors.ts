/** Errors of the database layer; `src/errors.ts` maps them to HTTP answers. */

/** No connection could be had in time: pool exhausted, or the server is unreachable. → 503 + Retry-After. */
export class DbUnavailableError extends Error {
  override name = 'DbUnavailableError'
  constructor(
    readonly reason: 'pool_exhausted' | 'connect_failed' | 'connection_lost',
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

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
export const CHECK_VIOLATION = '23514'
export const QUERY_CANCELED = '57014'
