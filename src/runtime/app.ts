/**
 * `createRuntime(deps)`: a Hono app with lowtide's runtime in place — errors as JSON, `/health`, the
 * body limit, the outbox and the request scope on every request, `/readyz` and `/ops`, the signed
 * `POST /tasks/<name>` and `POST /queue/deliver` — to which an app adds its own routes. The tasks
 * of the schedule registry and the outbox handlers (the runtime's `task` kind and the app's) are
 * built here, together.
 */
import type { OpenAPIHono } from '@hono/zod-openapi'
import { swaggerUI } from '@hono/swagger-ui'
import type { Context } from 'hono'
import { z } from 'zod'
import type { RuntimeConfig } from '../config/runtime.js'
import { randomToken } from '../crypto.js'
import type { ConnectionSource, Db } from '../db/types.js'
import { AppError, errorResponse, renderError } from '../errors.js'
import { bodyLimit } from '../http/body-limit.js'
import { clientIpResolver } from '../http/client-ip.js'
import { openApiApp, registerSecuritySchemes, route } from '../http/openapi.js'
import { requestScope } from '../http/request-scope.js'
import type { PlatformDeps } from '../http/types.js'
import type { Logger } from '../logger.js'
import type { OpsDeps } from '../ops/routes.js'
import { opsRoutes } from '../ops/routes.js'
import { deliver, type OutboxHandler } from '../queue/deliver.js'
import type { RuntimeEnv } from '../queue/env.js'
import { disabledPublisher, type QueuePublisher } from '../queue/publisher.js'
import type { Outbox } from '../queue/outbox.js'
import { outboxScope, queueRoutes } from '../queue/routes.js'
import { taskHandler } from '../tasks/queue-handler.js'
import { prepareTasks } from '../tasks/registry.js'
import { taskRoutes } from '../tasks/routes.js'
import type { PreparedTask } from '../tasks/runner.js'
import type { ScheduleEntry } from '../tasks/types.js'
import { createScheduleWatch, type ScheduleIncidentHook } from '../tasks/incidents.js'

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
  /**
   * The app's reaction when a schedule is found missing or failing (once per incident, in the
   * transaction that opens it): webhook events, an email to admins — written to `outbox`.
   */
  onScheduleIncident?: ScheduleIncidentHook
  /** How the app's outbox kinds are delivered (the runtime delivers `task` itself). */
  outboxHandlers?: Record<string, OutboxHandler>
  /** What `/ops` shows besides the runtime's own numbers. */
  ops?: Partial<Pick<OpsDeps, 'rateLimits' | 'panels'>>
  /** The API's title and description in `/openapi.json`. */
  api?: { title: string; description?: string; version?: string }
}

export interface Runtime<E extends RuntimeEnv> {
  /**
   * The app so far: add routes to it, with `app.openapi(route({...}), handler)` (or app's mounted with
   * `app.route`) to have them described in `/openapi.json`.
   */
  app: OpenAPIHono<E>
  /** The client IP, as `TRUST_PROXY_HOPS` says to read it (for rate limits). */
  clientIp(c: Context): string | undefined
  tasks: ReadonlyMap<string, PreparedTask>
  publisher: QueuePublisher
}

export function createRuntime<E extends RuntimeEnv = RuntimeEnv, S = unknown>(deps: RuntimeDeps<S>): Runtime<E> {
  const { config, logger } = deps
  for (const warning of config.warnings) logger.warn(warning)
  const clientIp = clientIpResolver(deps)
  const publisher = deps.publisher ?? disabledPublisher
  const holder = deps.instanceId ?? `${config.platform}-${randomToken(6)}`

  // The `task` handler needs the prepared tasks, and the sweep (a task) delivers through every handler.
  const handlers: Record<string, OutboxHandler> = { ...deps.outboxHandlers }
  const deliverRow = (db: Db, id: string, outbox: Outbox) => deliver(db, id, handlers, logger, outbox)
  const schedules = createScheduleWatch(deps.schedules ?? [], deps.onScheduleIncident)
  const tasks = prepareTasks(deps.schedules ?? [], {
    config,
    logger,
    queue: { publisher, deliver: deliverRow },
    schedules,
    // Last: an app's services may narrow `config` to its own (a superset of the runtime's).
    ...deps.services,
  })
  handlers.task = taskHandler(tasks, { holder, logger, queueEnabled: publisher.enabled })

  const app = openApiApp<E>()
  app.onError((err) => renderError(err, logger))
  app.notFound((c) => errorResponse(new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)))
  // Liveness and the API's description touch nothing: registered before the middleware, so none of it runs.
  app.openapi(route({ method: 'get', path: '/health', tag: 'ops', auth: 'none', rateLimited: false, summary: 'Liveness; touches no database', responses: { 200: z.object({ status: z.literal('ok') }) } }), (c) =>
    c.json({ status: 'ok' as const }, 200),
  )
  registerSecuritySchemes(app)
  const api = deps.api ?? { title: 'API' }
  let document: object | undefined
  // Generated at the first request, when every route of the app is registered.
  app.get('/openapi.json', (c) => c.json((document ??= app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: api.title, version: api.version ?? '1', description: api.description } }))))
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: api.title }))

  // Only methods that carry a body pay for the limit check.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', bodyLimit(config.bodyLimitBytes))
  // Side effects come from requests that change something: only those get an outbox, registered
  // outside the request scope so it publishes after the connection is back.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', outboxScope(publisher, config.queue.maxAttempts, deps.defer))
  app.use('*', requestScope(deps))

  app.route('/', opsRoutes({ ...deps, clientIp, publisher, deliver: deliverRow, schedules, rateLimits: deps.ops?.rateLimits ?? {}, panels: deps.ops?.panels }))
  app.route('/tasks', taskRoutes({ tasks, config: config.tasks, logger, holder, queueEnabled: publisher.enabled }))
  app.route('/queue', queueRoutes({ handlers, config: config.tasks, logger }))
  return { app, clientIp, tasks, publisher }
}
