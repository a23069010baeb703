/**
 * `createApp(deps)`: the whole HTTP surface, platform-free. `functions/*` build the deps (how to get
 * a connection, the client IP, how to defer work) and hand requests to `app.fetch`.
 */
import { Hono } from 'hono'
import { accountRoutes } from './domain/accounts/routes.js'
import { adminRoutes } from './domain/admin/routes.js'
import { campaignRoutes } from './domain/campaigns/routes.js'
import { contactRoutes } from './domain/contacts/routes.js'
import { creditRoutes } from './domain/credits/routes.js'
import type { DomainDeps, RouteLimits } from './domain/deps.js'
import { createEmailTransport } from './domain/emails/transport.js'
import { userRoutes } from './domain/users/routes.js'
import { webhookRoutes } from './domain/webhooks/routes.js'
import { docsRoutes } from './docs.js'
import { AppError, errorResponse, renderError } from './errors.js'
import { bodyLimit } from './http/body-limit.js'
import { clientIpResolver } from './http/client-ip.js'
import { rateLimit } from './http/rate-limit.js'
import { requestScope } from './http/request-scope.js'
import type { AppDeps, AppEnv } from './http/types.js'
import { opsRoutes } from './ops/routes.js'
import { randomToken } from './crypto.js'
import { prepareTasks } from './tasks/registry.js'
import { taskRoutes } from './tasks/routes.js'
import type { OutboxHandler } from './queue/deliver.js'
import { disabledPublisher } from './queue/publisher.js'
import { outboxScope, queueRoutes } from './queue/routes.js'
import { taskHandler } from './tasks/queue-handler.js'
import { webhookHandler } from './domain/webhooks/delivery.js'
import { CHAT_SYNC_KIND, chatSyncHandler } from './domain/accounts/chat-sync.js'

export type { AppDeps } from './http/types.js'

export function createApp(deps: AppDeps) {
  const { config, logger } = deps
  for (const warning of config.warnings) logger.warn(warning)
  const clientIp = clientIpResolver(deps)
  const appDeps: AppDeps = { ...deps, clientIp }
  const byIp = (c: Parameters<typeof clientIp>[0]) => clientIp(c) ?? 'unknown'
  const byUser = (c: { get(key: 'user'): { id: string } }) => c.get('user').id
  const limits: RouteLimits = {
    auth: rateLimit({ name: 'auth', rule: config.rateLimits.auth, subject: byIp, failClosed: true, logger }),
    admin: rateLimit({ name: 'admin', rule: config.rateLimits.admin, subject: byIp, logger }),
    campaignCreate: rateLimit({ name: 'campaign-create', rule: config.rateLimits.campaignCreate, subject: byUser, logger }),
    campaignStart: rateLimit({ name: 'campaign-start', rule: config.rateLimits.campaignStart, subject: byUser, logger }),
  }
  const fetchImpl = deps.fetch ?? ((input, init) => fetch(input, init))
  const domain: DomainDeps = { config, logger, email: deps.email ?? createEmailTransport(config.email), fetch: fetchImpl, limits }
  // The platform entry gives the publisher (SDK on Node and Lambda, signed fetch on Workers).
  const publisher = deps.publisher ?? disabledPublisher
  const holder = deps.instanceId ?? `${config.platform}-${randomToken(6)}`
  let handlers: Record<string, OutboxHandler> = {}
  const tasks = prepareTasks(deps.schedules ?? [], { config, logger, email: domain.email, fetch: fetchImpl, queue: { publisher, handlers: () => handlers } }, config)
  handlers = {
    task: taskHandler(tasks, { holder, logger, queueEnabled: publisher.enabled }),
    webhook: webhookHandler({ config, fetch: deps.webhookFetch ?? fetchImpl, resolveHost: deps.resolveHost, email: domain.email }),
    [CHAT_SYNC_KIND]: chatSyncHandler(config.chatAgent, fetchImpl),
  }

  const app = new Hono<AppEnv>()
  app.onError((err) => renderError(err, logger))
  app.notFound((c) => errorResponse(new AppError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)))

  // Liveness and the API's description touch nothing: registered before the middleware, so none of it runs.
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.route('/', docsRoutes())

  // Only methods that carry a body pay for the limit check.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', bodyLimit(config.bodyLimitBytes))
  // Side effects come from requests that change something: only those get an outbox, registered
  // outside the request scope so it publishes after the connection is back.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', outboxScope(publisher, config.queue.maxAttempts, deps.defer))
  app.use('*', requestScope(appDeps))
  if (config.rateLimits.api) app.use('/v1/*', rateLimit({ name: 'api', rule: config.rateLimits.api, subject: byIp, logger }))

  app.route('/', opsRoutes(appDeps))
  app.route('/tasks', taskRoutes({ tasks, config: config.tasks, logger, holder, queueEnabled: publisher.enabled }))
  app.route('/queue', queueRoutes({ handlers, config: config.tasks, logger }))
  app.route('/v1/auth', accountRoutes(domain))
  app.route('/v1', userRoutes())
  app.route('/v1/credits', creditRoutes())
  app.route('/v1/contacts', contactRoutes())
  app.route('/v1/campaigns', campaignRoutes({ ...domain, connections: deps.connections, streams: config.streams }))
  app.route('/v1/webhooks', webhookRoutes({ allowHosts: config.webhooks.allowHosts, resolve: deps.resolveHost }))
  app.route('/v1/admin', adminRoutes(domain))
  return app
}

export type App = ReturnType<typeof createApp>
