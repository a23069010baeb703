/**
 * One error family and one renderer. Anything thrown inside a request ends up in `renderError`,
 * which turns it into `{"error":{"code","message","details?"}}` with the right status.
 */
import { HTTPException } from 'hono/http-exception'
import { ZodError } from 'zod'
import type { Logger } from './logger.js'
import {
  CHECK_VIOLATION,
  DbUnavailableError,
  FOREIGN_KEY_VIOLATION,
  QUERY_CANCELED,
  ScopeClosedError,
  UNIQUE_VIOLATION,
  sqlState,
  isConnectionLoss,
  isSaturation,
  saturatedError,
} from './db/errors.js'

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

export class AppError extends Error {
  override name = 'AppError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export const notFound = (what = 'resource') => new AppError(404, 'not_found', `${what} not found`)

const codeForStatus: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
  504: 'request_timeout',
}

/** zod issues → `[{ path: "email", message: "…" }]`, the `details` of a 400. */
interface IssueList {
  issues: readonly { path: readonly PropertyKey[]; message: string }[]
}

export function zodDetails(error: IssueList) {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }))
}

export function validationError(error: IssueList, where = 'request'): AppError {
  const fields = [...new Set(zodDetails(error).map((d) => d.path))]
  return new AppError(400, 'validation_failed', `invalid ${where}: ${fields.join(', ')}`, zodDetails(error))
}

export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err
  if (err instanceof ZodError) return validationError(err)
  if (err instanceof DbUnavailableError) {
    return new AppError(503, err.reason === 'saturated' ? 'db_saturated' : 'db_unavailable', err.message, undefined, { 'Retry-After': String(err.retryAfterS) })
  }
  // Saturation reported by a statement that did not pass a request scope (or a driver that hands SQLSTATEs through).
  if (isSaturation(err)) return toAppError(saturatedError(err))
  if (err instanceof ScopeClosedError) {
    return new AppError(503, 'request_ended', err.message)
  }
  const state = sqlState(err)
  if (state === QUERY_CANCELED) {
    return new AppError(504, 'statement_timeout', 'a database statement was cancelled (timeout or request end)')
  }
  // Class 08 (connection exception), 57P0x (server shutting down, admin command), and the
  // connection failures that carry no SQLSTATE (reset, terminated, not queryable) when they reach
  // here without passing a request scope.
  if (isConnectionLoss(err)) {
    return new AppError(503, 'db_unavailable', 'the database connection was lost', undefined, { 'Retry-After': '1' })
  }
  // Safety net for values that passed validation but not Postgres (a date out of its range, a
  // number too large): class 22 is "data exception", caused by the input, so it is the client's 400.
  if (state?.startsWith('22')) {
    return new AppError(400, 'invalid_value', 'a value is out of range or malformed')
  }
  if (state === UNIQUE_VIOLATION) return new AppError(409, 'conflict', 'this conflicts with an existing resource')
  if (state === CHECK_VIOLATION || state === FOREIGN_KEY_VIOLATION) {
    return new AppError(409, 'conflict', 'the change would break a constraint of the data')
  }
  if (err instanceof HTTPException) {
    const status = err.status
    return new AppError(status, codeForStatus[status] ?? (status >= 500 ? 'internal' : 'bad_request'), err.message || 'request failed')
  }
  return undefined
}

export function errorResponse(err: AppError): Response {
  const body: ErrorBody = { error: { code: err.code, message: err.message } }
  if (err.details !== undefined) body.error.details = err.details
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...err.headers },
  })
}

/** The app's `onError`: known errors render as themselves; anything else is logged and becomes an opaque 500. */
export function renderError(err: unknown, logger: Logger): Response {
  const known = toAppError(err)
  if (known) {
    if (known.status >= 500) logger.warn('request failed', { code: known.code, error: known.message })
    return errorResponse(known)
  }
  const e = err instanceof Error ? err : new Error(String(err))
  logger.error('unhandled error', { error: e.message, stack: e.stack })
  return errorResponse(new AppError(500, 'internal', 'internal server error'))
}
