/**
 * SQS consumer (a Lambda with `functionResponseType: ReportBatchItemFailures`). It holds no
 * database connection: each message names an outbox row, and the work runs inside the app, in a
 * request scope, behind the signed `POST /queue/deliver` at `APP_BASE_URL` — a Worker, the Lambda
 * HTTP API or a Node server alike. Answers map to a partial batch response:
 * - `done` / `duplicate` / `unknown` / `dead` / `deferred` → success (SQS deletes the message);
 * - `retry` → failure, and the message's visibility is set to the backoff (≤ 900 s);
 * - the app unreachable or answering an error → failure at the queue's own visibility timeout.
 * After `maxReceiveCount` failures SQS moves the message to the DLQ.
 */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs'
import { signRequest } from '../src/tasks/signing.js'
import { TRIGGER_HEADER } from '../src/tasks/routes.js'

export interface SqsRecord {
  messageId: string
  receiptHandle: string
  body: string
  attributes: { ApproximateReceiveCount?: string; [key: string]: string | undefined }
  eventSourceARN?: string
}
export interface SqsEvent {
  Records: SqsRecord[]
}
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[]
}

export interface ConsumerOptions {
  appBaseUrl: string
  signingSecret: string
  /** For visibility changes; defaults to the queue of each record's ARN. */
  queueUrl?: string
  sqs?: SQSClient
  fetch?: typeof fetch
  /** Per delivery request. @default 30000 */
  timeoutMs?: number
  /** Records delivered at once. @default 10 */
  concurrency?: number
  log?: (record: Record<string, unknown>) => void
}

/** arn:aws:sqs:<region>:<account>:<name> → https://sqs.<region>.amazonaws.com/<account>/<name> */
export function queueUrlFromArn(arn: string): string {
  const [, , , region, account, name] = arn.split(':')
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`
}

type Answer = { result: string; retryAfterS?: number }

export function createConsumer(options: ConsumerOptions): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const fetchImpl = options.fetch ?? fetch
  const sqs = options.sqs ?? new SQSClient({})
  const log = options.log ?? ((r) => console.log(JSON.stringify(r)))
  const endpoint = new URL('/queue/deliver', options.appBaseUrl)

  async function deliverOne(record: SqsRecord): Promise<Answer | undefined> {
    let id: unknown
    try {
      id = (JSON.parse(record.body) as { id?: unknown }).id
    } catch {
      id = undefined
    }
    // A body we cannot read will never become readable: let it fail to the DLQ.
    if (typeof id !== 'string') return undefined
    const body = JSON.stringify({ id, receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1) })
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000)
    try {
      const res = await fetchImpl(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TRIGGER_HEADER]: 'sqs', ...signRequest(options.signingSecret, body) },
        body,
        signal: controller.signal,
      })
      if (!res.ok) {
        log({ level: 'warn', msg: 'delivery answered an error', messageId: record.messageId, status: res.status, body: (await res.text()).slice(0, 300) })
        return undefined
      }
      return (await res.json()) as Answer
    } catch (err) {
      log({ level: 'warn', msg: 'app unreachable', messageId: record.messageId, error: (err as Error).message })
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }

  return async (event) => {
    const failures: string[] = []
    const records = [...event.Records]
    const work = async () => {
      for (let record = records.shift(); record; record = records.shift()) {
        const answer = await deliverOne(record)
        if (answer && answer.result !== 'retry') continue
        failures.push(record.messageId)
        if (answer?.result === 'retry' && answer.retryAfterS !== undefined) {
          const queueUrl = options.queueUrl ?? (record.eventSourceARN ? queueUrlFromArn(record.eventSourceARN) : undefined)
          if (queueUrl) {
            await sqs
              .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: Math.min(900, Math.max(0, Math.round(answer.retryAfterS))) }))
              .catch((err: Error) => log({ level: 'warn', msg: 'visibility change failed', messageId: record.messageId, error: err.message }))
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 10, event.Records.length) }, work))
    // In the order SQS gave them, so the answer reads like the batch.
    const failed = new Set(failures)
    return { batchItemFailures: event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) }
  }
}

let cached: ((event: SqsEvent) => Promise<SqsBatchResponse>) | undefined

/** The deployed handler, configured from APP_BASE_URL, TASK_SIGNING_SECRET and optionally SQS_QUEUE_URL / SQS_ENDPOINT. */
export const handler = (event: SqsEvent) => {
  if (!cached) {
    const { APP_BASE_URL, TASK_SIGNING_SECRET, SQS_QUEUE_URL, SQS_ENDPOINT } = process.env
    if (!APP_BASE_URL || !TASK_SIGNING_SECRET) throw new Error('APP_BASE_URL and TASK_SIGNING_SECRET are required')
    cached = createConsumer({
      appBaseUrl: APP_BASE_URL,
      signingSecret: TASK_SIGNING_SECRET,
      queueUrl: SQS_QUEUE_URL,
      sqs: new SQSClient(SQS_ENDPOINT ? { endpoint: SQS_ENDPOINT } : {}),
    })
  }
  return cached(event)
}
