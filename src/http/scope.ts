import type { MiddlewareHandler } from 'hono'
import { RequestScope } from '../db/scope.js'
import type { AppDeps, AppEnv } from './types.js'

/**
 * Gives each request a `RequestScope` (`c.get('db')`) and ends it when the request ends, whatever
 * happened. A client that goes away aborts the scope, cancelling its running statement.
 */
export function dbScope(deps: Pick<AppDeps, 'connections' | 'defer' | 'logger'>): MiddlewareHandler<AppEnv> {
  return async function dbScope(c, next) {
    const scope = new RequestScope(deps.connections)
    c.set('db', scope)
    const signal = c.req.raw.signal as AbortSignal | undefined
    const onAbort = () => {
      scope.abort('client closed the connection').catch((err: Error) =>
        deps.logger.warn('scope abort failed', { error: err.message }),
      )
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await next()
    } finally {
      signal?.removeEventListener('abort', onAbort)
      const ending = scope.end()
      if (deps.defer) deps.defer(c, ending)
      else await ending
    }
  }
}
