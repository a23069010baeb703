/**
 * Sends outbox ids to a queue after commit. Failures are logged, not thrown: the row is already
 * committed, and the `outbox-sweep` task republishes whatever was not acknowledged in time.
 *
 * Three implementations of one interface: `@aws-sdk/client-sqs` on Node and Lambda
 * (`functions/sqs-publisher.ts`, handed in by the Node and Lambda entries), a SigV4-signed `fetch`
 * (aws4fetch, 6 KB) to SQS on Workers, where the SDK would be most of the bundle, and a Cloudflare
 * Queues binding on Workers (`cloudflare-queue.ts`).
 */
import { AwsClient } from 'aws4fetch'
import type { QueueConfig } from '../config/runtime.js'
import type { Logger } from '../logger.js'

export interface QueuedMessage {
  id: string
  kind: string
  /** SQS delay, at most 900 s. */
  delaySeconds?: number
}

/** How outbox ids leave: SQS, a Cloudflare Queues binding, or nothing (the `outbox-sweep` task delivers). */
export type QueueTransport = 'sqs' | 'cloudflare-queues' | 'none'

export interface QueuePublisher {
  /** False when no queue is configured: rows then wait for the sweep. */
  readonly enabled: boolean
  readonly transport: QueueTransport
  publish(messages: QueuedMessage[]): Promise<void>
}

export const disabledPublisher: QueuePublisher = { enabled: false, transport: 'none', publish: async () => undefined }

/** The SQS message of each outbox row: its id and kind; at most 10 per batch request. */
export function batches(messages: QueuedMessage[]): { Id: string; MessageBody: string; DelaySeconds: number }[][] {
  const out = []
  for (let i = 0; i < messages.length; i += 10) {
    out.push(
      messages.slice(i, i + 10).map((m, n) => ({
        Id: String(n),
        MessageBody: JSON.stringify({ id: m.id, kind: m.kind }),
        DelaySeconds: Math.min(900, Math.max(0, Math.round(m.delaySeconds ?? 0))),
      })),
    )
  }
  return out
}

/** SQS's JSON protocol over a SigV4-signed fetch: what the Worker uses. */
export function createFetchSqsPublisher(config: QueueConfig, logger: Logger): QueuePublisher {
  const queueUrl = config.queueUrl
  if (!queueUrl || config.transport === 'none') return disabledPublisher
  if (!config.credentials) {
    logger.warn('SQS_QUEUE_URL is set but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not: outbox rows wait for the sweep')
    return disabledPublisher
  }
  const aws = new AwsClient({ ...config.credentials, service: 'sqs', region: config.region, retries: 1 })
  const endpoint = config.endpoint ?? new URL(queueUrl).origin
  return {
    enabled: true,
    transport: 'sqs',
    async publish(messages) {
      for (const entries of batches(messages)) {
        try {
          const res = await aws.fetch(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessageBatch' },
            body: JSON.stringify({ QueueUrl: queueUrl, Entries: entries }),
          })
          const answer = (await res.json().catch(() => ({}))) as { Failed?: unknown[]; message?: string }
          if (!res.ok) logger.warn('outbox publish failed; the sweep will retry', { status: res.status, error: answer.message })
          else if (answer.Failed?.length) logger.warn('outbox publish partly failed; the sweep will retry', { failed: answer.Failed.length })
        } catch (err) {
          logger.warn('outbox publish failed; the sweep will retry', { messages: entries.length, error: (err as Error).message })
        }
      }
    },
  }
}
