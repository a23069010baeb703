/**
 * One queue message → one signed `POST /queue/deliver` → what its consumer should do with it.
 * Shared by the SQS consumer (sqs-batch.ts) and the Cloudflare Queues consumer
 * (cloudflare-queue.ts): whichever queue carried the id, the work runs inside the app, in a request
 * scope, behind the same signature check.
 */
import { signRequest, TRIGGER_HEADER } from '../http/signing.js'
import type { Logger } from '../logger.js'
import { joinUrl } from '../url.js'

/** The app path consumers post to and sign (whatever prefix the base URL has in front of the app). */
export const DELIVER_PATH = '/queue/deliver'

export type DeliverOutcome =
  /** `done` / `duplicate` / `unknown` / `dead` / `deferred` / `postponed`: the message is spent, acknowledge it. */
  | { kind: 'settled'; result: string }
  /** The row failed and waits `afterS` (the endpoint's backoff, at most 900 s). */
  | { kind: 'retry'; afterS: number }
  /** 503: the app cannot reach its database now; nothing was attempted. */
  | { kind: 'unavailable'; afterS: number }
  /** No answer, or an error answer: let the queue retry on its own terms. */
  | { kind: 'failed' }

export interface DeliverCallOptions {
  /** Where the app is: `/queue/deliver` is joined to this. */
  appBaseUrl: string
  signingSecret: string
  /** Global `fetch`, or `app.fetch` for the app in this process or isolate. */
  fetch: (request: Request) => Promise<Response> | Response
  logger: Logger
  /** Recorded as the request's trigger (`sqs`, `cloudflare-queues`). */
  trigger: string
  /** Per delivery request. @default 30000 */
  timeoutMs?: number
}

export interface DeliverRequest {
  id: string
  /** Deliveries of this message so far, this one included. */
  receiveCount: number
  /** The queue gave up on the message (it came from the dead-letter queue): record the row dead. */
  deadLetter?: boolean
  /** The queue's id for the message, for the logs. */
  messageId: string
}

export function createDeliverCall(options: DeliverCallOptions): (request: DeliverRequest) => Promise<DeliverOutcome> {
  const { logger } = options
  const endpoint = joinUrl(options.appBaseUrl, DELIVER_PATH)
  return async ({ id, receiveCount, deadLetter, messageId }) => {
    const body = JSON.stringify({ id, receiveCount, ...(deadLetter ? { deadLetter: true } : {}) })
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000)
    try {
      const res = await options.fetch(
        new Request(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TRIGGER_HEADER]: options.trigger, ...signRequest(options.signingSecret, { method: 'POST', path: DELIVER_PATH, body }) },
          body,
          signal: controller.signal,
        }),
      )
      if (res.status === 503) {
        const afterS = Number(res.headers.get('retry-after')) || 5
        logger.warn('delivery unavailable', { messageId, status: 503, retryAfterS: afterS, body: (await res.text()).slice(0, 300) })
        return { kind: 'unavailable', afterS }
      }
      if (!res.ok) {
        logger.warn('delivery answered an error', { messageId, status: res.status, body: (await res.text()).slice(0, 300) })
        return { kind: 'failed' }
      }
      const answer = (await res.json()) as { result: string; retryAfterS?: number }
      if (answer.result === 'retry') return { kind: 'retry', afterS: answer.retryAfterS ?? 30 }
      return { kind: 'settled', result: answer.result }
    } catch (err) {
      logger.warn('app unreachable', { messageId, error: (err as Error).message })
      return { kind: 'failed' }
    } finally {
      clearTimeout(timer)
    }
  }
}
