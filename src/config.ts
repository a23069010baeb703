/**
 * The outreach backend's configuration: the runtime's sections (src/config/) and the domain's
 * (accounts, emails, campaigns, webhooks, rate limits), every variable declared once — parser,
 * bounds, default and meaning — and parsed once from the environment. README's table of variables
 * is generated from these declarations (`npm run docs:config`).
 */
import { ConfigError, parseVariables, type Env } from './config/define.js'
import { runtimeConfig, runtimeVariables, type Platform, type RuntimeConfig } from './config/runtime.js'
import { accountConfig, accountVariables, accountWarnings, type AccountConfig } from './domain/accounts/config.js'
import { campaignConfig, campaignVariables, type DispatchConfig, type StreamConfig } from './domain/campaigns/config.js'
import { emailConfig, emailVariables, type EmailConfig } from './domain/emails/config.js'
import { rateLimitConfig, rateLimitVariables, type RateLimitConfig } from './domain/limits-config.js'
import { webhookConfig, webhookVariables, type WebhookConfig } from './domain/webhooks/config.js'

export { ConfigError, type Env } from './config/define.js'
export type { DbConfig, LogLevel, Platform, QueueConfig, RateLimitRule, RuntimeConfig, TaskConfig } from './config/runtime.js'
export type { ChatAgentConfig } from './domain/accounts/config.js'
export { MIN_RECOMMENDED_PBKDF2_ITERATIONS } from './domain/accounts/config.js'
export type { DispatchConfig, StreamConfig } from './domain/campaigns/config.js'
export type { EmailConfig } from './domain/emails/config.js'

/** Every variable the outreach backend reads, in README's order. */
export const variables = { ...runtimeVariables, ...rateLimitVariables, ...accountVariables, ...emailVariables, ...campaignVariables, ...webhookVariables }

export interface Config extends RuntimeConfig, AccountConfig {
  rateLimits: RateLimitConfig
  email: EmailConfig
  dispatch: DispatchConfig
  streams: StreamConfig
  webhooks: WebhookConfig
}

export function loadConfig(env: Env, platform: Platform): Config {
  const v = parseVariables(variables, env)
  if (v.EMAIL_TRANSPORT === 'http' && !v.EMAIL_HTTP_URL) throw new ConfigError([{ variable: 'EMAIL_HTTP_URL', message: 'is required when EMAIL_TRANSPORT=http' }])
  const runtime = runtimeConfig(v, platform)
  return {
    ...runtime,
    warnings: [...runtime.warnings, ...accountWarnings(v)],
    ...accountConfig(v),
    rateLimits: rateLimitConfig(v),
    email: emailConfig(v),
    ...campaignConfig(v),
    webhooks: webhookConfig(v),
  }
}
