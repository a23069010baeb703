/**
 * `createApp(deps)`: the outreach backend — lowtide's runtime (`createRuntime`) with the domain's
 * routes, tasks, outbox kinds and ops panels on top. Platform-free: `functions/*` build the deps
 * (how to get a connection, the client IP, how to defer work) and hand requests to `app.fetch`.
 */
import { authentication } from './domain/accounts/authenticate.js'
import { accountRoutes } from './domain/accounts/routes.js'
import { CHAT_SYNC_KIND, chatSyncHandler } from './domain/accounts/chat-sync.js'
import { adminRoutes } from './domain/admin/routes.js'
import { ADMIN_EMAIL_KIND, adminEmailHandler, scheduleAlerts } from './domain/admin/schedule-alerts.js'
import { campaignRoutes } from './domain/campaigns/routes.js'
import { contactRoutes } from './domain/contacts/routes.js'
import { creditRoutes } from './domain/credits/routes.js'
import type { DomainDeps, OutreachServices, RouteLimits } from './domain/deps.js'
import { createEmailTransport, type EmailTransport } from './domain/emails/transport.js'
import type { AppEnv } from './domain/env.js'
import { userRoutes } from './domain/users/routes.js'
import { webhookHandler } from './domain/webhooks/delivery.js'
import { disabledWebhooksPanel } from './domain/webhooks/ops-panel.js'
import { webhookRoutes } from './domain/webhooks/routes.js'
import { rateLimit } from './http/rate-limit.js'
import type { Config } from './config.js'
import { portableSha256, type Sha256 } from './crypto.js'
import { createRuntime, type RuntimeDeps } from './runtime/app.js'

export type { AppEnv } from './domain/env.js'

export interface AppDeps extends Omit<RuntimeDeps<OutreachServices>, 'config' | 'services' | 'outboxHandlers' | 'ops'> {
  config: Config
  /** How emails leave (`EMAIL_TRANSPORT`); built from config when not given. */
  email?: EmailTransport
  /** Outbound HTTP (chat agent, email API); the platform's `fetch` when not given. */
  fetch?: typeof fetch
  /**
   * Outbound HTTP to user-supplied URLs (webhooks): on Node and Lambda a fetch whose connections
   * refuse non-public addresses. Defaults to `fetch`.
   */
  webhookFetch?: typeof fetch
  /** All addresses of a host name (Node, Lambda); absent on Workers. */
  resolveHost?: (host: string) => Promise<string[]>
  /** SHA-256 of API keys and tokens; the portable one when not given (node:crypto's is faster on Node and Lambda). */
  sha256?: Sha256
}

export function createApp(deps: AppDeps) {
  const { config, logger } = deps
  const fetchImpl = deps.fetch ?? ((input, init) => fetch(input, init))
  const services: OutreachServices = { config, email: deps.email ?? createEmailTransport(config.email), fetch: fetchImpl, sha256: deps.sha256 ?? portableSha256 }
  const { app, clientIp } = createRuntime<AppEnv, OutreachServices>(
    {
      ...deps,
      services,
      outboxHandlers: {
        webhook: webhookHandler({ config, fetch: deps.webhookFetch ?? fetchImpl, resolveHost: deps.resolveHost, email: services.email }),
        [CHAT_SYNC_KIND]: chatSyncHandler(config.chatAgent, fetchImpl),
        [ADMIN_EMAIL_KIND]: adminEmailHandler(services.email),
      },
      onScheduleIncident: scheduleAlerts(config.email.from),
      ops: {
        rateLimits: {
          api: config.rateLimits.api,
          admin: config.rateLimits.admin,
          auth: config.rateLimits.auth,
          'campaign-create': config.rateLimits.campaignCreate,
          'campaign-start': config.rateLimits.campaignStart,
        },
        panels: [disabledWebhooksPanel],
      },
      api: {
        title: 'lowtide API',
        description: 'Outreach backend: accounts and credits, contacts, campaigns, webhook endpoints. Errors are `{"error":{"code","message","details?"}}`.',
      },
    },
  )

  const byIp = (c: Parameters<typeof clientIp>[0]) => clientIp(c) ?? 'unknown'
  const byUser = (c: { get(key: 'user'): { id: string } }) => c.get('user').id
  const limits: RouteLimits = {
    auth: rateLimit({ name: 'auth', rule: config.rateLimits.auth, subject: byIp, failClosed: true, logger }),
    admin: rateLimit({ name: 'admin', rule: config.rateLimits.admin, subject: byIp, logger }),
    campaignCreate: rateLimit({ name: 'campaign-create', rule: config.rateLimits.campaignCreate, subject: byUser, logger }),
    campaignStart: rateLimit({ name: 'campaign-start', rule: config.rateLimits.campaignStart, subject: byUser, logger }),
  }
  const domain: DomainDeps = { logger, ...services, limits, auth: authentication(services.sha256) }
  if (config.rateLimits.api) app.use('/v1/*', rateLimit({ name: 'api', rule: config.rateLimits.api, subject: byIp, logger }))

  app.route('/v1/auth', accountRoutes(domain))
  app.route('/v1', userRoutes(domain))
  app.route('/v1/credits', creditRoutes(domain))
  app.route('/v1/contacts', contactRoutes(domain))
  app.route('/v1/campaigns', campaignRoutes({ ...domain, connections: deps.connections, streams: config.streams }))
  app.route('/v1/webhooks', webhookRoutes({ allowHosts: config.webhooks.allowHosts, resolve: deps.resolveHost }, domain))
  app.route('/v1/admin', adminRoutes(domain))
  return app
}

export type App = ReturnType<typeof createApp>
