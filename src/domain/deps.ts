import type { MiddlewareHandler } from 'hono'
import type { Config } from '../config.js'
import type { Sha256 } from '../crypto.js'
import type { Logger } from '../logger.js'
import type { Authentication } from './accounts/authenticate.js'
import type { EmailTransport } from './emails/transport.js'
import type { AppEnv } from './env.js'

/** Rate limits that single routes opt into (the per-IP API limit covers all of `/v1`). */
export interface RouteLimits {
  auth: MiddlewareHandler<AppEnv>
  admin: MiddlewareHandler<AppEnv>
  campaignCreate: MiddlewareHandler<AppEnv>
  campaignStart: MiddlewareHandler<AppEnv>
}

/** What outreach hands its tasks (besides the runtime's logger and queue) and its routes. */
export interface OutreachServices {
  /** The whole configuration: the runtime's sections and outreach's. */
  config: Config
  email: EmailTransport
  /** Outbound HTTP (chat agent, email API). */
  fetch: typeof fetch
  /** SHA-256 of API keys and tokens: node:crypto's on Node and Lambda, portable on Workers. */
  sha256: Sha256
}

/** What domain routes get from `createApp`. */
export interface DomainDeps extends OutreachServices {
  config: Config
  logger: Logger
  limits: RouteLimits
  auth: Authentication
}
