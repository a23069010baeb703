/**
 * The SQS consumer core: an SQS batch (as Lambda's event source mapping delivers it) → one signed
 * `POST /queue/deliver` per message → a partial batch response. It holds no database connection:
 * each message names an outbox row, and the work runs inside the app, in a request scope — a
 * Worker, the Lambda HTTP API, a Node server, or the same Lambda through `app.fetch`.
 * - `done` / `duplicate` / `unknown` / `dead` / `deferred` / `postponed` → success (SQS deletes the
 *   message; a postponed row is published again by the app, after its wait);
 * - a second copy of a message in the same batch → success, without a delivery of its own;
 * - `retry` → failure, and the message's visibility is set to the backoff (≤ 900 s);
 * - the app unreachable or answering an error → failure at the queue's own visibility timeout.
 * After `maxReceiveCount` failures SQS moves the message to the DLQ.
 */
import type { Logger } from '../logger.js'
import { createDeliverCall, type DeliverOutcome } from './deliver-call.js'
import { messageId, splitCopies } from './message.js'

/** Records of a batch delivered at once: each a `/queue/deliver` request, a connection in the app. */
export const SQS_DELIVERY_CONCURRENCY = 10

/** A record of an SQS event, with every field AWS sends (see tests/helpers/lambda-events.ts). */
export interface SqsRecord {
  messageId: string
  receiptHandle: string
  body: string
  attributes: { ApproximateReceiveCount?: string; [key: string]: string | undefined }
  messageAttributes?: Record<string, unknown>
  md5OfBody?: string
  eventSource?: string
  eventSourceARN?: string
  awsRegion?: string
}
export interface SqsEvent {
  Records: SqsRecord[]
}
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[]
}

/** True for what Lambda's SQS event source mapping sends. */
export function isSqsEvent(event: unknown): event is SqsEvent {
  const records = (event as { Records?: unknown } | null)?.Records
  return Array.isArray(records) && records.length > 0 && (records[0] as { eventSource?: unknown }).eventSource === 'aws:sqs'
}

/** The parts of arn:aws:sqs:<region>:<account>:<name>. */
export function parseQueueArn(arn: string): { partition: string; region: string; account: string; name: string } {
  const [, partition, service, region, account, name] = arn.split(':')
  if (service !== 'sqs' || !partition || !region || !account || !name) throw new Error(`not an SQS queue ARN: ${JSON.stringify(arn)}`)
  return { partition, region, account, name }
}

/** arn:aws:sqs:<region>:<account>:<name> → https://sqs.<region>.amazonaws.com/<account>/<name> (AWS's own endpoints). */
export function queueUrlFromArn(arn: string): string {
  const { partition, region, account, name } = parseQueueArn(arn)
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'
  return `https://sqs.${region}.${domain}/${account}/${name}`
}

export interface SqsBatchOptions {
  /** Where the app is: its `/queue/deliver` is joined to this (a path prefix is kept). */
  appBaseUrl: string
  signingSecret: string
  /** Sends the delivery request: global `fetch`, or `app.fetch` for the app in this process. */
  fetch: (request: Request) => Promise<Response> | Response
  /** Sets a retried message's visibility to its backoff; without it SQS's own timeout applies. */
  changeVisibility?: (record: SqsRecord, seconds: number) => Promise<void>
  logger: Logger
  /** Per delivery request. @default 30000 */
  timeoutMs?: number
  /** Records delivered at once. @default 10 */
  concurrency?: number
}

export function createSqsBatchConsumer(options: SqsBatchOptions): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const { logger } = options
  const call = createDeliverCall({ ...options, trigger: 'sqs' })

  async function deliverOne(record: SqsRecord): Promise<DeliverOutcome> {
    const id = messageId(record.body)
    // A body we cannot read will never become readable: let it fail to the DLQ.
    if (id === undefined) {
      logger.warn('unreadable queue message', { messageId: record.messageId })
      return { kind: 'failed' }
    }
    return call({ id, receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1), messageId: record.messageId })
  }

  return async (event) => {
    const failures = new Set<string>()
    const { toDeliver: records, copies } = splitCopies(event.Records, (r) => r.body)
    if (copies.length) logger.info('copies of a message in one batch acknowledged', { messageIds: copies.map((r) => r.messageId) })
    const work = async () => {
      for (let record = records.shift(); record; record = records.shift()) {
        const outcome = await deliverOne(record)
        if (outcome.kind === 'settled') continue
        failures.add(record.messageId)
        if (outcome.kind === 'retry' && options.changeVisibility) {
          const seconds = Math.min(900, Math.max(0, Math.round(outcome.afterS)))
          await options.changeVisibility(record, seconds).catch((err: Error) => logger.warn('visibility change failed', { messageId: record.messageId, error: err.message }))
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? SQS_DELIVERY_CONCURRENCY, records.length) }, work))
    // In the order SQS gave them, so the answer reads like the batch.
    return { batchItemFailures: event.Records.filter((r) => failures.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) }
  }
}
