import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { RequestScope } from '../db/scope.js'
import { AppError } from '../errors.js'
import type { ConnectionSource } from '../db/types.js'
import type { Logger } from '../logger.js'
import type { HttpConfig, PlatformDeps, ScopeEnv } from './types.js'

export interface RequestScopeDeps extends Pick<PlatformDeps, 'defer' | 'onClientGone'> {
  config: Pick<HttpConfig, 'requestTimeoutMs'>
  connections: ConnectionSource
  logger: Logger
}

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
export function requestScope(deps: RequestScopeDeps): MiddlewareHandler<ScopeEnv> {
  const timeoutMs = deps.config.requestTimeoutMs
  const { connections, logger } = deps

  /** Work that must finish after the answer (closing a connection): deferred where the platform can. */
  const carryOn = (c: Context, work: Promise<void>) => {
    if (deps.defer) deps.defer(c, work)
    else work.catch((err: Error) => logger.warn('closing the request scope failed', { error: err.message }))
  }

  // Written with explicit promises rather than async/await: this runs on every request, and each
  // async frame costs a promise and a microtask turn.
  return function requestScope(c, next) {
    const scope = new RequestScope(connections, () => routeLabel(c))
    c.set('db', scope)
    deps.onClientGone?.(c, () => carryOn(c, scope.abort('client closed the connection')))
    return new Promise<void>((resolve, reject) => {
      let timedOut = false
      const deadline = setTimeout(() => {
        timedOut = true
        reject(new AppError(504, 'request_timeout', `request did not complete within ${timeoutMs} ms`))
        carryOn(c, scope.abort('request timed out'))
      }, timeoutMs)
      next().then(
        () => {
          clearTimeout(deadline)
          if (!timedOut) endScope(c, scope, deps, resolve)
        },
        (err: unknown) => {
          clearTimeout(deadline)
          if (!timedOut) endScope(c, scope, deps, () => reject(err))
        },
      )
    })
  }
}

/** Ends the scope, then settles the request: after the connection is back, or at once if deferred. */
function endScope(c: Context, scope: RequestScope, deps: Pick<RequestScopeDeps, 'defer' | 'logger'>, settle: () => void): void {
  const ending = scope.end()
  if (!ending) return settle()
  if (deps.defer) {
    deps.defer(c, ending)
    return settle()
  }
  ending.then(settle, (err: Error) => {
    deps.logger.warn('closing the request scope failed', { error: err.message })
    settle()
  })
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
