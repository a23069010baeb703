/**
 * Fixed-window rate limits kept in Postgres, so every instance shares them: one statement per
 * check (an upsert that counts and answers), on the request's own connection. The row lock of the
 * upsert serialises concurrent checks of one key, so the count is exact across instances.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { RateLimitRule } from '../config/runtime.js'
import type { Queryable } from '../db/types.js'
import { AppError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { ScopeEnv } from './types.js'

export interface RateLimitResult {
  hits: number
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  resetS: number
  allowed: boolean
}

export async function hitRateLimit(db: Queryable, key: string, rule: RateLimitRule): Promise<RateLimitResult> {
  const { rows } = await db.query<{ hits: number; reset_s: number }>(
    `INSERT INTO rate_limits AS r (key, window_start, hits)
     VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
     ON CONFLICT (key) DO UPDATE
       SET hits = CASE WHEN r.window_start = EXCLUDED.window_start THEN r.hits + 1 ELSE 1 END,
           window_start = EXCLUDED.window_start
     RETURNING hits, ceil(extract(epoch FROM window_start) + $2 - extract(epoch FROM now()))::int AS reset_s`,
    [key, rule.windowS],
  )
  const hits = rows[0]!.hits
  return { hits, limit: rule.max, remaining: Math.max(0, rule.max - hits), resetS: Math.max(1, rows[0]!.reset_s), allowed: hits <= rule.max }
}

export interface RateLimitOptions<E extends ScopeEnv = ScopeEnv> {
  /** Part of the stored key: limits with different names count separately. */
  name: string
  rule: RateLimitRule | undefined
  /** Who is counted: the client IP, the user id. `undefined` skips the check. */
  subject(c: Context<E>): string | undefined
  /** When the store cannot answer: `true` answers 503 (auth endpoints), `false` lets the request through. */
  failClosed?: boolean
  logger: Logger
  /** Counts rejections, for the ops dashboard. */
  onRejected?(name: string): void
}

/** `RateLimit-Limit`, `-Remaining`, `-Reset` (IETF draft), the tightest limit of the request wins. */
function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(result.resetS),
  }
}

export function rateLimit<E extends ScopeEnv = ScopeEnv>(options: RateLimitOptions<E>): MiddlewareHandler<E> {
  const { rule, name, logger } = options
  if (!rule) return (_c, next) => next()
  return async function rateLimit(c, next) {
    const subject = options.subject(c)
    if (subject === undefined) return next()
    let result: RateLimitResult
    try {
      result = await hitRateLimit(c.get('db'), `${name}:${subject}`, rule)
    } catch (err) {
      if (options.failClosed) {
        throw new AppError(503, 'rate_limit_unavailable', 'the rate limit store is unreachable; try again shortly', undefined, { 'Retry-After': '5' })
      }
      logger.warn('rate limit check failed; request let through', { limit: name, error: (err as Error).message })
      return next()
    }
    const headers = rateLimitHeaders(result)
    if (!result.allowed) {
      options.onRejected?.(name)
      throw new AppError(429, 'rate_limited', `too many requests: at most ${rule.max} per ${rule.windowS} s (${name})`, undefined, {
        ...headers,
        'Retry-After': String(result.resetS),
      })
    }
    await next()
    const current = Number(c.res.headers.get('RateLimit-Remaining') ?? Infinity)
    if (result.remaining <= current) for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v)
  }
}
