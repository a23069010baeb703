/**
 * `createApp(deps)`: the whole HTTP surface, platform-free. `functions/*` build the deps (how to get
 * a connection, the client IP, how to defer work) and hand requests to `app.fetch`.
 */
import { Hono } from 'hono'
import { userRoutes } from './domain/users/routes.js'
import { AppError, errorResponse, renderError } from './errors.js'
import { bodyLimit } from './http/body-limit.js'
import { requestScope } from './http/request-scope.js'
import type { AppDeps, AppEnv } from './http/types.js'
import { opsRoutes } from './ops/routes.js'

export type { AppDeps } from './http/types.js'

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>()
  app.onError((err) => renderError(err, deps.logger))
  app.notFound((c) => errorResponse(new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)))

  // Liveness touches nothing: registered before the middleware, so none of it runs.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  // Only methods that carry a body pay for the limit check.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', bodyLimit(deps.config.bodyLimitBytes))
  app.use('*', requestScope(deps))

  app.route('/', opsRoutes(deps))
  app.route('/v1/users', userRoutes())
  return app
}

export type App = ReturnType<typeof createApp>
