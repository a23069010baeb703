/** Campaigns: how dispatch paces and retries sends, and how progress streams behave. */
import { int, type Values } from '../../config/define.js'

export const campaignVariables = {
  DISPATCH_BATCH_SIZE: int({ min: 1, max: 1000, default: 100, doc: 'emails claimed per dispatch batch (one transaction)' }),
  DISPATCH_CONCURRENCY_PER_USER: int({ min: 1, max: 50, default: 3, doc: "concurrent sends per user (the seed's 3–5)" }),
  DISPATCH_RATE_PER_USER: int({ min: 1, max: 100_000, defaultText: '10 × concurrency', doc: 'sends per second per user' }),
  DISPATCH_MAX_ATTEMPTS: int({ min: 1, max: 50, default: 5, doc: 'a failing email is retried (30 s, 1 min, 2 min, … ≤ 1 h) this many times, then `failed`' }),
  SSE_POLL_MS: int({ min: 100, max: 600_000, default: 2000, doc: 'how often an event stream looks for changes (one short scoped query each time)' }),
  SSE_KEEPALIVE_MS: int({ min: 100, max: 600_000, default: 25_000, doc: 'keepalive comment on a quiet stream' }),
  SSE_MAX_DURATION_MS: int({ min: 1000, max: 24 * 3600_000, default: 3600_000, doc: 'the server ends a stream after this with `retry`; clients resume with `Last-Event-ID`' }),
}

export interface DispatchConfig {
  /** Emails claimed per batch. */
  batchSize: number
  /** Concurrent sends per user (seed: 3–5). */
  concurrencyPerUser: number
  /** Sends per second per user. */
  ratePerUser: number
  /** Attempts before a failing email is marked failed. */
  maxAttempts: number
}

export interface StreamConfig {
  /** How often a stream looks for changes. */
  pollMs: number
  /** A comment line this often keeps proxies from closing a quiet stream. */
  keepaliveMs: number
  /** After this the server ends the stream; the client reconnects with Last-Event-ID. */
  maxDurationMs: number
}

export function campaignConfig(v: Values<typeof campaignVariables>): { dispatch: DispatchConfig; streams: StreamConfig } {
  return {
    dispatch: {
      batchSize: v.DISPATCH_BATCH_SIZE,
      concurrencyPerUser: v.DISPATCH_CONCURRENCY_PER_USER,
      ratePerUser: v.DISPATCH_RATE_PER_USER ?? 10 * v.DISPATCH_CONCURRENCY_PER_USER,
      maxAttempts: v.DISPATCH_MAX_ATTEMPTS,
    },
    streams: { pollMs: v.SSE_POLL_MS, keepaliveMs: v.SSE_KEEPALIVE_MS, maxDurationMs: v.SSE_MAX_DURATION_MS },
  }
}
