/**
 * `createRuntime(deps)`: a Hono app with lowtide's runtime in place — errors as JSON, `/health`, the
 * body limit, the outbox and the request scope on every request, `/readyz` and `/ops`, the signed
 * `POST /tasks/<name>` and `POST /queue/deliver` — to which an app adds its own routes. The tasks
 * of the schedule registry and the outbox handlers (the runtime's `task` kind and the app's) are
 * built here, together.
 */
import { Hono, type Context } from 'hono'
import type { RuntimeConfig } from '../config/runtime.js'
import { randomToken } from '../crypto.js'
import type { ConnectionSource } from '../db/types.js'
import { AppError, errorResponse, renderError } from '../errors.js'
import { bodyLimit } from '../http/body-limit.js'
import { clientIpResolver } from '../http/client-ip.js'
import { requestScope } from '../http/request-scope.js'
import type { PlatformDeps } from '../http/types.js'
import type { Logger } from '../logger.js'
import type { OpsDeps } from '../ops/routes.js'
import { opsRoutes } from '../ops/routes.js'
import { deliver, type OutboxHandler } from '../queue/deliver.js'
import type { RuntimeEnv } from '../queue/env.js'
import { disabledPublisher, type QueuePublisher } from '../queue/publisher.js'
import { outboxScope, queueRoutes } from '../queue/routes.js'
import { taskHandler } from '../tasks/queue-handler.js'
import { prepareTasks } from '../tasks/registry.js'
import { taskRoutes } from '../tasks/routes.js'
import type { PreparedTask } from '../tasks/runner.js'
import type { ScheduleEntry } from '../tasks/types.js'

export interface RuntimeDeps<S = unknown> extends PlatformDeps {
  config: RuntimeConfig
  logger: Logger
  /** Where request scopes get their connection: a shared pool, or one connection per request. */
  connections: ConnectionSource
  /** Where outbox ids go after commit; without one, rows wait for the `outbox-sweep` task. */
  publisher?: QueuePublisher
  /** Names this instance in task leases. @default "<platform>-<random>" */
  instanceId?: string
  /** The schedule registry: the tasks `POST /tasks/<name>` can run. */
  schedules?: readonly ScheduleEntry<S>[]
  /** What the app hands its task factories, besides the runtime's config, logger and queue. */
  services: S
  /** How the app's outbox kinds are delivered (the runtime delivers `task` itself). */
  outboxHandlers?: Record<string, OutboxHandler>
  /** What `/ops` shows besides the runtime's own numbers. */
  ops?: Partial<Pick<OpsDeps, 'rateLimits' | 'panels'>>
}

export interface Runtime<E extends RuntimeEnv> {
  /** The app so far: add routes to it. */
  app: Hono<E>
  /** The client IP, as `TRUST_PROXY_HOPS` says to read it (for rate limits). */
  clientIp(c: Context): string | undefined
  tasks: ReadonlyMap<string, PreparedTask>
  publisher: QueuePublisher
}

/**
 * `unscoped` registers routes that must not touch the database or pay for the middleware (an API
 * description, a docs page): they come before it.
 */
export function createRuntime<E extends RuntimeEnv = RuntimeEnv, S = unknown>(deps: RuntimeDeps<S>, options: { unscoped?: (app: Hono<E>) => void } = {}): Runtime<E> {
  const { config, logger } = deps
  for (const warning of config.warnings) logger.warn(warning)
  const clientIp = clientIpResolver(deps)
  const publisher = deps.publisher ?? disabledPublisher
  const holder = deps.instanceId ?? `${config.platform}-${randomToken(6)}`

  // The `task` handler needs the prepared tasks, and the sweep (a task) delivers through every handler.
  const handlers: Record<string, OutboxHandler> = { ...deps.outboxHandlers }
  const tasks = prepareTasks(deps.schedules ?? [], {
    config,
    logger,
    queue: { publisher, deliver: (db, id, outbox) => deliver(db, id, handlers, logger, outbox) },
    // Last: an app's services may narrow `config` to its own (a superset of the runtime's).
    ...deps.services,
  })
  handlers.task = taskHandler(tasks, { holder, logger, queueEnabled: publisher.enabled })

  const app = new Hono<E>()
  app.onError((err) => renderError(err, logger))
  app.notFound((c) => errorResponse(new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)))
  // Liveness touches nothing: registered before the middleware, so none of it runs.
  app.get('/health', (c) => c.json({ status: 'ok' }))
  options.unscoped?.(app)

  // Only methods that carry a body pay for the limit check.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', bodyLimit(config.bodyLimitBytes))
  // Side effects come from requests that change something: only those get an outbox, registered
  // outside the request scope so it publishes after the connection is back.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', outboxScope(publisher, config.queue.maxAttempts, deps.defer))
  app.use('*', requestScope(deps))

  app.route('/', opsRoutes({ ...deps, clientIp, queueEnabled: publisher.enabled, rateLimits: deps.ops?.rateLimits ?? {}, panels: deps.ops?.panels }))
  app.route('/tasks', taskRoutes({ tasks, config: config.tasks, logger, holder, queueEnabled: publisher.enabled }))
  app.route('/queue', queueRoutes({ handlers, config: config.tasks, logger }))
  return { app, clientIp, tasks, publisher }
}
