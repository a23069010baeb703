import type { MiddlewareHandler } from 'hono'
import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import { AppError } from '../errors.js'

/**
 * 413 with a JSON error once a body passes `maxBytes`, whether or not Content-Length announced it.
 * Register it for methods that carry a body only: Hono's limiter reads `c.req.raw.body`, which on
 * Node builds a full Request object.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError(413, 'payload_too_large', `request body exceeds ${maxBytes} bytes`)
    },
  })
}
