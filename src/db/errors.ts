/** Errors of the database layer; `src/errors.ts` maps them to HTTP answers. */

/** No connection could be had in time: pool exhausted, or the server is unreachable. → 503 + Retry-After. */
export class DbUnavailableError extends Error {
  override name = 'DbUnavailableError'
  constructor(
    readonly reason: 'pool_exhausted' | 'connect_failed',
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

/** Postgres SQLSTATE of a driver error, if it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
export const CHECK_VIOLATION = '23514'
export const QUERY_CANCELED = '57014'
