/** The outreach API's rate limits: per client IP for the API, admin and auth routes, per user for campaigns. */
import { rateLimit, type RateLimitRule, type Values } from '../config/define.js'

const FORMAT = 'Format `<count>/<window>` with `s`, `m`, `h` or `d`, or `off`'

export const rateLimitVariables = {
  RATE_LIMIT_API: rateLimit({ default: '100/15m', doc: `every \`/v1\` request, per client IP. ${FORMAT}` }),
  RATE_LIMIT_ADMIN: rateLimit({ default: '30/15m', doc: '`/v1/admin/*`, per client IP' }),
  RATE_LIMIT_AUTH: rateLimit({ default: '5/15m', doc: 'register, login, verify-email, per client IP; fails closed (503) when the store is unreachable' }),
  RATE_LIMIT_CAMPAIGN_CREATE: rateLimit({ default: '20/1h', doc: 'creating a campaign, per user' }),
  RATE_LIMIT_CAMPAIGN_START: rateLimit({ default: '10/1m', doc: 'starting a campaign, per user' }),
}

/** Each `undefined` when turned off. */
export interface RateLimitConfig {
  api: RateLimitRule | undefined
  admin: RateLimitRule | undefined
  auth: RateLimitRule | undefined
  campaignCreate: RateLimitRule | undefined
  campaignStart: RateLimitRule | undefined
}

export function rateLimitConfig(v: Values<typeof rateLimitVariables>): RateLimitConfig {
  return { api: v.RATE_LIMIT_API, admin: v.RATE_LIMIT_ADMIN, auth: v.RATE_LIMIT_AUTH, campaignCreate: v.RATE_LIMIT_CAMPAIGN_CREATE, campaignStart: v.RATE_LIMIT_CAMPAIGN_START }
}
