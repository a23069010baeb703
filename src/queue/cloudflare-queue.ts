/**
 * Cloudflare Queues as the outbox's transport on Workers, with no AWS account.
 *
 * Producer: the `OUTBOX_QUEUE` binding's `sendBatch` (up to 100 messages a call), deferred with
 * `waitUntil` after the response like every publish. Consumer: the Worker's own `queue()` handler
 * hands each message to the same signed `POST /queue/deliver` through `app.fetch` and maps the
 * answer onto the message:
 * - `done` / `duplicate` / `unknown` / `dead` / `deferred` / `postponed` → `ack()`, and so is a
 *   second copy of a message in the same batch, without a delivery of its own;
 * - `retry` → `retry({ delaySeconds })` with the endpoint's backoff (≤ 900 s: longer waits are
 *   `deferred` to the row's `next_attempt_at`, for the sweep);
 * - 503 (the database unreachable) → no new message is started and the rest of the batch is retried
 *   with `retryAll`;
 * - no answer or an error answer → `retry()` at the queue's own `retry_delay`; after `max_retries`
 *   Cloudflare moves the message to the dead-letter queue, whose consumer (this same handler)
 *   records a tried row `dead` (`deadLetter: true`).
 * The database stays the source of truth: a message lost on the way is a row the sweep republishes.
 */
import type { Logger } from '../logger.js'
import { createDeliverCall, type DeliverOutcome } from './deliver-call.js'
import { messageId, splitCopies, type OutboxMessage } from './message.js'
import type { QueuePublisher } from './publisher.js'

/** Cloudflare's cap on a message's delay (12 h). */
export const MAX_QUEUE_DELAY_S = 43_200
/** Cloudflare's cap on messages per `sendBatch`. */
export const MAX_SEND_BATCH = 100
/** Messages of a batch delivered at once, each in a request scope of its own (a connection each). */
export const QUEUE_CONSUMER_CONCURRENCY = 5
/** A database that is down stays down for a while: retries sooner than this only burn `max_retries`. */
const UNAVAILABLE_RETRY_S = 10

/** The part of a Queues producer binding lowtide uses (structural, so src/ needs no Workers types). */
export interface QueueProducer {
  sendBatch(messages: Iterable<{ body: OutboxMessage; contentType?: 'json'; delaySeconds?: number }>): Promise<unknown>
}

/** A message as the `queue()` handler receives it. */
export interface QueueMessage {
  readonly id: string
  readonly body: unknown
  readonly attempts: number
  ack(): void
  retry(options?: { delaySeconds?: number }): void
}

/** A batch as the `queue()` handler receives it. */
export interface QueueBatch {
  readonly queue: string
  readonly messages: readonly QueueMessage[]
  retryAll(options?: { delaySeconds?: number }): void
}

/** True when `value` looks like a Queues producer binding. */
export function isQueueProducer(value: unknown): value is QueueProducer {
  return typeof (value as { sendBatch?: unknown } | null)?.sendBatch === 'function'
}

const clampDelay = (s: number | undefined) => Math.min(MAX_QUEUE_DELAY_S, Math.max(0, Math.round(s ?? 0)))

export function createQueueBindingPublisher(binding: QueueProducer, logger: Logger): QueuePublisher {
  return {
    enabled: true,
    transport: 'cloudflare-queues',
    async publish(messages) {
      for (let i = 0; i < messages.length; i += MAX_SEND_BATCH) {
        const chunk = messages.slice(i, i + MAX_SEND_BATCH)
        try {
          await binding.sendBatch(chunk.map((m) => ({ body: { id: m.id, kind: m.kind }, contentType: 'json' as const, delaySeconds: clampDelay(m.delaySeconds) })))
        } catch (err) {
          logger.warn('outbox publish failed; the sweep will retry', { transport: 'cloudflare-queues', messages: chunk.length, error: (err as Error).message })
        }
      }
    },
  }
}

export interface QueueConsumerOptions {
  /** `app.fetch`: the delivery runs in this isolate, in its own request scope. */
  fetch: (request: Request) => Promise<Response> | Response
  /** TASK_SIGNING_SECRET: the consumer signs `/queue/deliver` like every other caller. */
  signingSecret: string | undefined
  logger: Logger
  /** Queues whose messages are dead letters (the outbox queue's `dead_letter_queue`). */
  deadLetterQueues: readonly string[]
  /**
   * The queue's `max_retries`: on a message's last delivery an unreachable database acknowledges it
   * (the row stays pending and the sweep republishes it) instead of sending it to the dead-letter queue.
   */
  maxRetries?: number
  /** Messages of one batch delivered at once; each holds a database connection while it runs. @default 5 */
  concurrency?: number
  /** Per delivery request. @default 30000 */
  timeoutMs?: number
}

export function createQueueConsumer(options: QueueConsumerOptions): (batch: QueueBatch) => Promise<void> {
  const { logger } = options
  const lastTry = (m: QueueMessage) => options.maxRetries !== undefined && m.attempts > options.maxRetries
  return async (batch) => {
    if (!options.signingSecret) {
      logger.error('queue consumer cannot sign /queue/deliver: TASK_SIGNING_SECRET is not set (wrangler secret put TASK_SIGNING_SECRET)', { queue: batch.queue, messages: batch.messages.length })
      batch.retryAll({ delaySeconds: 60 })
      return
    }
    const call = createDeliverCall({ appBaseUrl: 'https://lowtide.internal', signingSecret: options.signingSecret, fetch: options.fetch, logger, trigger: 'cloudflare-queues', timeoutMs: options.timeoutMs })
    const deadLetter = options.deadLetterQueues.includes(batch.queue)
    const { toDeliver: pending, copies } = splitCopies(batch.messages, (m) => m.body)
    const decided = new Set<QueueMessage>()
    const ack = (m: QueueMessage) => {
      decided.add(m)
      m.ack()
    }
    for (const copy of copies) ack(copy)
    if (copies.length) logger.info('copies of a message in one batch acknowledged', { queue: batch.queue, messageIds: copies.map((m) => m.id) })
    const retry = (m: QueueMessage, delaySeconds?: number) => {
      decided.add(m)
      m.retry(delaySeconds === undefined ? undefined : { delaySeconds: clampDelay(delaySeconds) })
    }
    let unavailableS: number | undefined

    const handle = async (message: QueueMessage): Promise<void> => {
      const id = messageId(message.body)
      if (id === undefined) {
        // Nothing lowtide sends: it can never be delivered; on the dead-letter queue there is nothing to record.
        logger.warn('unreadable queue message', { queue: batch.queue, messageId: message.id })
        return deadLetter ? ack(message) : retry(message)
      }
      const outcome: DeliverOutcome = await call({ id, receiveCount: message.attempts, messageId: message.id, deadLetter })
      if (outcome.kind === 'settled') ack(message)
      else if (outcome.kind === 'retry') retry(message, outcome.afterS)
      else if (outcome.kind === 'unavailable') unavailableS = Math.max(unavailableS ?? 0, outcome.afterS, UNAVAILABLE_RETRY_S)
      else retry(message)
    }
    const work = async () => {
      for (let message = pending.shift(); message && unavailableS === undefined; message = pending.shift()) await handle(message)
    }
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? QUEUE_CONSUMER_CONCURRENCY, pending.length) }, work))
    if (unavailableS === undefined) return
    // The database is down: the rest of the batch comes back later, except messages out of retries,
    // which would reach the dead-letter queue for no fault of their rows: the sweep republishes those.
    const spent = batch.messages.filter((m) => !decided.has(m) && lastTry(m))
    for (const m of spent) ack(m)
    logger.warn('database unavailable: queue batch retried', { queue: batch.queue, messages: batch.messages.length, delaySeconds: unavailableS, leftToTheSweep: spent.length })
    batch.retryAll({ delaySeconds: clampDelay(unavailableS) })
  }
}
