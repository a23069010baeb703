/** Accounts: password hashing, email verification, the chat agent mirror. */
import { httpUrl, int, secret, type Values } from '../../config/define.js'

/**
 * Below this a stolen hash is cheap to crack; above 50 000 a Worker on the Free plan (10 ms of CPU
 * per request) runs out of CPU in register and login (`npm run bench:password`).
 */
export const MIN_RECOMMENDED_PBKDF2_ITERATIONS = 10_000

export const accountVariables = {
  AUTH_PBKDF2_ITERATIONS: int({
    min: 1000,
    max: 100_000,
    default: 100_000,
    doc: 'PBKDF2-SHA256 iterations for new password hashes (accepted 1 000 – 100 000: Workers cap WebCrypto at 100 000; below 10 000 start-up warns). Workers Free: `50000` (see *Deploying to Workers*). Existing hashes keep their own count',
  }),
  EMAIL_VERIFICATION_TTL_HOURS: int({ min: 1, max: 24 * 365, default: 72, doc: 'lifetime of an email verification token' }),
  VERIFICATION_REMINDER_SPACING_HOURS: int({ min: 1, max: 24 * 30, default: 24, doc: 'hours between the (at most 3) verification reminders' }),
  ADMIN_STATS_TIMEOUT_MS: int({ min: 1, max: 60_000, default: 2000, doc: 'statement timeout of each sub-query of `/v1/admin/stats`' }),
  CHAT_AGENT_SERVER_URL: httpUrl({ doc: 'users are POSTed to `<url>/users` at registration and retried by a task; unset: off' }),
  CHAT_AGENT_TOKEN: secret({ doc: 'bearer token for the chat agent server' }),
  CHAT_AGENT_SYNC_TIMEOUT_MS: int({ min: 1, max: 60_000, default: 2000, doc: 'per sync attempt' }),
}

export interface ChatAgentConfig {
  /** Users are synced to `<url>/users`; unset turns the sync off. */
  url: string | undefined
  token: string | undefined
  timeoutMs: number
}

export interface AccountConfig {
  /** PBKDF2-SHA256 iterations for new password hashes. */
  passwordIterations: number
  emailVerificationTtlHours: number
  /** Hours between email verification reminders (at most 3). */
  verificationReminderSpacingHours: number
  /** Statement timeout of each sub-query of `GET /v1/admin/stats`. */
  adminStatsTimeoutMs: number
  chatAgent: ChatAgentConfig
}

export function accountConfig(v: Values<typeof accountVariables>): AccountConfig {
  return {
    passwordIterations: v.AUTH_PBKDF2_ITERATIONS,
    emailVerificationTtlHours: v.EMAIL_VERIFICATION_TTL_HOURS,
    verificationReminderSpacingHours: v.VERIFICATION_REMINDER_SPACING_HOURS,
    adminStatsTimeoutMs: v.ADMIN_STATS_TIMEOUT_MS,
    chatAgent: { url: v.CHAT_AGENT_SERVER_URL, token: v.CHAT_AGENT_TOKEN, timeoutMs: v.CHAT_AGENT_SYNC_TIMEOUT_MS },
  }
}

export function accountWarnings(v: Values<typeof accountVariables>): string[] {
  return v.AUTH_PBKDF2_ITERATIONS < MIN_RECOMMENDED_PBKDF2_ITERATIONS
    ? [`AUTH_PBKDF2_ITERATIONS=${v.AUTH_PBKDF2_ITERATIONS} is below ${MIN_RECOMMENDED_PBKDF2_ITERATIONS}, the least lowtide recommends for real passwords (fine for tests)`]
    : []
}
