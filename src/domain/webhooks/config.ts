/** Outbound webhooks: where they may go, how long an attempt may take, when an endpoint is given up. */
import { int, list, type Values } from '../../config/define.js'

export const webhookVariables = {
  WEBHOOK_ALLOW_HOSTS: list({ doc: 'hosts exempt from the private-address refusal, e.g. `127.0.0.1` for a local receiver' }),
  WEBHOOK_TIMEOUT_MS: int({ min: 100, max: 120_000, default: 15_000, doc: 'per delivery attempt' }),
  WEBHOOK_DISABLE_AFTER_S: int({ min: 60, max: 365 * 86400, default: 5 * 86400, defaultText: '`432000` (5 days)', doc: 'an endpoint failing this long is disabled' }),
}

export interface WebhookConfig {
  /** Hosts exempt from the private-address refusal (e.g. `127.0.0.1,localhost` for local receivers). */
  allowHosts: string[]
  /** Per delivery attempt. */
  timeoutMs: number
  /** An endpoint failing this long is disabled. */
  disableAfterS: number
}

export function webhookConfig(v: Values<typeof webhookVariables>): WebhookConfig {
  return {
    allowHosts: v.WEBHOOK_ALLOW_HOSTS.map((h) => h.toLowerCase().replace(/^\[|\]$/g, '')),
    timeoutMs: v.WEBHOOK_TIMEOUT_MS,
    disableAfterS: v.WEBHOOK_DISABLE_AFTER_S,
  }
}
