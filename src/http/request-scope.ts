import type { MiddlewareHandler } from 'hono'
import type { Context } from 'hono'
import { matchedRoutes } from 'hono/route'
import { RequestScope } from '../db/scope.js'
import { AppError } from '../errors.js'
import type { AppDeps, AppEnv } from './types.js'

/**
 * Owns what a request holds while it runs:
 * - a `RequestScope` (`c.get('db')`), ended when the request ends whatever happened;
 * - a deadline: after `REQUEST_TIMEOUT_MS` the answer is 504 and the scope is aborted, so the
 *   running statement is cancelled on the server rather than left to finish;
 * - where the platform can tell the client went away (Node), the scope is aborted then too.
 * The deadline's timer is cleared the moment the handler settles; nothing outlives the request.
 *
 * One middleware rather than three because they share the scope and sit on every request's path.
 */
export function requestScope(
  deps: Pick<AppDeps, 'config' | 'connections' | 'defer' | 'logger' | 'onClientGone'>,
): MiddlewareHandler<AppEnv> {
  const timeoutMs = deps.config.requestTimeoutMs
  const { connections, logger } = deps

  return async function requestScope(c, next) {
    const scope = new RequestScope(connections, () => routeLabel(c))
    c.set('db', scope)
    deps.onClientGone?.(c, () => {
      scope.abort('client closed the connection').catch((err: Error) => logger.warn('scope abort failed', { error: err.message }))
    })
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => {
          // Answer now; the abort (cancel + close) goes on and `scope.end()` below waits for it.
          reject(new AppError(504, 'request_timeout', `request did not complete within ${timeoutMs} ms`))
          scope.abort('request timed out').catch((err: Error) => logger.warn('scope abort failed', { error: err.message }))
        }, timeoutMs)
        next().then(
          () => {
            clearTimeout(deadline)
            resolve()
          },
          (err: unknown) => {
            clearTimeout(deadline)
            reject(err)
          },
        )
      })
    } finally {
      const ending = scope.end()
      if (ending) {
        if (deps.defer) deps.defer(c, ending)
        else await ending
      }
    }
  }
}

/** `GET /v1/users/:id`, built once per route: the label is looked up on every acquire. */
const labels = new WeakMap<object, string>()
function routeLabel(c: Context): string {
  const route = matchedRoutes(c).at(-1)
  if (!route) return c.req.method
  let label = labels.get(route)
  if (label === undefined) {
    label = `${route.method} ${route.path}`
    labels.set(route, label)
  }
  return label
}
