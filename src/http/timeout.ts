import type { MiddlewareHandler } from 'hono'
import { AppError } from '../errors.js'
import type { AppEnv } from './types.js'

/**
 * Answers 504 when the handler takes longer than `ms`, and aborts the request's database scope so
 * the running statement is cancelled on the server, not left to finish. The timer lives only as long
 * as the request and is cleared in `finally`.
 */
export function requestTimeout(ms: number): MiddlewareHandler<AppEnv> {
  return async function requestTimeout(c, next) {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), ms)
    })
    try {
      const outcome = await Promise.race([next(), expired])
      if (outcome === 'expired') {
        await c.get('db').abort('request timed out')
        throw new AppError(504, 'request_timeout', `request did not complete within ${ms} ms`)
      }
    } finally {
      clearTimeout(timer)
    }
  }
}
