/**
 * The outbox's Cloudflare queue on Workers: its producer binding, its consumer (the Worker itself,
 * through `POST /queue/deliver`) and its dead-letter queue. `npm run cron:sync` writes these into
 * wrangler.toml's `[[queues.*]]` tables; `npm run cron:check` fails when the file drifts from them.
 * Create the two queues once per account: `npx wrangler queues create lowtide-outbox` and
 * `npx wrangler queues create lowtide-outbox-dlq`.
 */

export interface CloudflareOutboxQueue {
  /** The producer binding the Worker's outbox publishes with (src/runtime/worker.ts reads it). */
  binding: string
  queue: string
  /** Messages the consumer could not get through after `maxRetries`; the Worker consumes it too and records their rows dead. */
  deadLetterQueue: string
  /** 1–100 messages a batch. */
  maxBatchSize: number
  /** 0–60 s: how long a batch waits to fill (latency against invocations). */
  maxBatchTimeoutS: number
  /** 0–100 retries before a message goes to the dead-letter queue. */
  maxRetries: number
  /** The delay of a retry without an answer (the endpoint's own backoff is used when it gives one). */
  retryDelayS: number
  /** The dead-letter queue's consumer retries this often while the database is down (then the sweep still has the row). */
  deadLetterMaxRetries: number
}

export const cloudflareOutboxQueue: CloudflareOutboxQueue = {
  binding: 'OUTBOX_QUEUE',
  queue: 'lowtide-outbox',
  deadLetterQueue: 'lowtide-outbox-dlq',
  maxBatchSize: 10,
  // A webhook leaves within a second or two of its commit; a busy queue fills batches sooner.
  maxBatchTimeoutS: 1,
  // 11 deliveries: above QUEUE_MAX_ATTEMPTS (8), so a row that keeps failing dies by its own count
  // (and its webhook schedule) before the queue gives up on the message.
  maxRetries: 10,
  retryDelayS: 30,
  deadLetterMaxRetries: 20,
}

/** Cloudflare's limits for a consumer's settings. */
export const QUEUE_LIMITS = { maxBatchSize: [1, 100], maxBatchTimeoutS: [0, 60], maxRetries: [0, 100], retryDelayS: [0, 43_200] } as const

export const QUEUES_BEGIN = '# >>> queues:sync — generated from cron/queues.ts by `npm run cron:sync`; edit that file, not this block'
export const QUEUES_END = '# <<< queues:sync'

/**
 * The `[[queues.producers]]` and `[[queues.consumers]]` tables for wrangler.toml (after every top-level
 * key). `maxConcurrency`: the consumer's invocations at once, from the connection budget (cron/capacity.ts).
 */
export function renderQueues(q: CloudflareOutboxQueue, maxConcurrency?: number): string {
  return [
    QUEUES_BEGIN,
    '[[queues.producers]]',
    `binding = ${JSON.stringify(q.binding)}`,
    `queue = ${JSON.stringify(q.queue)}`,
    '',
    '[[queues.consumers]]',
    `queue = ${JSON.stringify(q.queue)}`,
    `max_batch_size = ${q.maxBatchSize}`,
    `max_batch_timeout = ${q.maxBatchTimeoutS}`,
    `max_retries = ${q.maxRetries}`,
    `retry_delay = ${q.retryDelayS}`,
    `dead_letter_queue = ${JSON.stringify(q.deadLetterQueue)}`,
    ...(maxConcurrency === undefined ? [] : [`max_concurrency = ${maxConcurrency}`]),
    '',
    '[[queues.consumers]]',
    `queue = ${JSON.stringify(q.deadLetterQueue)}`,
    `max_batch_size = ${q.maxBatchSize}`,
    'max_batch_timeout = 5',
    `max_retries = ${q.deadLetterMaxRetries}`,
    'retry_delay = 60',
    QUEUES_END,
  ].join('\n')
}
