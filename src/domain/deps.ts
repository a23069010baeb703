import type { MiddlewareHandler } from 'hono'
import type { Config } from '../config.js'
import type { AppEnv } from '../http/types.js'
import type { Logger } from '../logger.js'
import type { EmailTransport } from './emails/transport.js'

/** Rate limits that single routes opt into (the per-IP API limit covers all of `/v1`). */
export interface RouteLimits {
  auth: MiddlewareHandler<AppEnv>
  admin: MiddlewareHandler<AppEnv>
  campaignCreate: MiddlewareHandler<AppEnv>
  campaignStart: MiddlewareHandler<AppEnv>
}

/** What domain routes get from `createApp`. */
export interface DomainDeps {
  config: Config
  logger: Logger
  email: EmailTransport
  fetch: typeof fetch
  limits: RouteLimits
}
