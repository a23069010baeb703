/**
 * The SQS consumer for any app on lowtide's runtime (`functionResponseType: ReportBatchItemFailures`):
 * the consumer core of src/queue/sqs-batch.ts POSTing each message, signed, to the app's
 * `/queue/deliver`, plus what only the AWS SDK does here — setting a retried message's visibility to
 * its backoff. It holds no database connection. The SDK is loaded at the first retried message, not
 * at start-up.
 */
import type { SQSClient } from '@aws-sdk/client-sqs'
import { createLogger, type Logger } from '../../src/logger.js'
import { createSqsBatchConsumer, parseQueueArn, queueUrlFromArn, type SqsBatchResponse, type SqsEvent, type SqsRecord } from '../../src/queue/sqs-batch.js'

export type { SqsBatchResponse, SqsEvent, SqsRecord } from '../../src/queue/sqs-batch.js'

export interface ConsumerOptions {
  appBaseUrl: string
  signingSecret: string
  /** For visibility changes; defaults to the queue of each record's ARN. */
  queueUrl?: string
  /** @default a client for `endpoint` / `region`, or the SDK's defaults */
  sqs?: SQSClient
  endpoint?: string
  region?: string
  fetch?: (request: Request) => Promise<Response> | Response
  /** Per delivery request. @default 30000 */
  timeoutMs?: number
  /** Records delivered at once. @default 10 */
  concurrency?: number
  logger?: Logger
}

export function createConsumer(options: ConsumerOptions): (event: SqsEvent) => Promise<SqsBatchResponse> {
  return createSqsBatchConsumer({
    appBaseUrl: options.appBaseUrl,
    signingSecret: options.signingSecret,
    fetch: options.fetch ?? ((request) => fetch(request)),
    changeVisibility: sdkVisibility(options),
    logger: options.logger ?? createLogger('info'),
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
  })
}

/** Sets a record's visibility through the SDK, on `queueUrl` or the queue its ARN names (looked up on an emulator). */
function sdkVisibility(options: Pick<ConsumerOptions, 'queueUrl' | 'sqs' | 'endpoint' | 'region'>) {
  let sqs = options.sqs
  const queueUrls = new Map<string, Promise<string>>()
  return async (record: SqsRecord, seconds: number) => {
    const arn = record.eventSourceARN
    if (!options.queueUrl && !arn) return
    const { ChangeMessageVisibilityCommand, GetQueueUrlCommand, SQSClient } = await import('./sqs-sdk.js')
    const client = (sqs ??= new SQSClient({ ...(options.endpoint ? { endpoint: options.endpoint } : {}), ...(options.region ? { region: options.region } : {}) }))
    // AWS's queue URLs follow from the ARN; an emulator's (fauxqs, LocalStack) are its own, so ask it.
    const lookUp = async (queueArn: string) => {
      if (!options.endpoint) return queueUrlFromArn(queueArn)
      const { name, account } = parseQueueArn(queueArn)
      return (await client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))).QueueUrl!
    }
    let queueUrl: Promise<string> | undefined = options.queueUrl ? Promise.resolve(options.queueUrl) : queueUrls.get(arn!)
    if (!queueUrl) {
      queueUrl = lookUp(arn!).catch((err: Error) => {
        queueUrls.delete(arn!) // not cached: the next retry asks again
        throw err
      })
      queueUrls.set(arn!, queueUrl)
    }
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: await queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }))
  }
}

/** The deployed consumer, configured from APP_BASE_URL, TASK_SIGNING_SECRET and optionally SQS_QUEUE_URL / SQS_ENDPOINT. */
export function consumerFromEnv(env: Record<string, string | undefined>): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const { APP_BASE_URL, TASK_SIGNING_SECRET, SQS_QUEUE_URL, SQS_ENDPOINT } = env
  if (!APP_BASE_URL || !URL.canParse(APP_BASE_URL)) throw new Error(`APP_BASE_URL must be the app's URL (got ${JSON.stringify(APP_BASE_URL ?? null)})`)
  if (!TASK_SIGNING_SECRET) throw new Error('TASK_SIGNING_SECRET is required')
  return createConsumer({
    appBaseUrl: APP_BASE_URL,
    signingSecret: TASK_SIGNING_SECRET,
    queueUrl: SQS_QUEUE_URL && URL.canParse(SQS_QUEUE_URL) ? SQS_QUEUE_URL : undefined,
    endpoint: SQS_ENDPOINT,
  })
}
