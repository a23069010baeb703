/**
 * Sends outbox ids to SQS after commit. Failures are logged, not thrown: the row is already
 * committed, and the `outbox-sweep` task republishes whatever was not acknowledged in time.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { QueueConfig } from '../config.js'
import type { Logger } from '../logger.js'

export interface QueuedMessage {
  id: string
  kind: string
  /** SQS delay, at most 900 s. */
  delaySeconds?: number
}

export interface QueuePublisher {
  /** False when no queue is configured: rows then wait for the sweep. */
  readonly enabled: boolean
  publish(messages: QueuedMessage[]): Promise<void>
}

export function createSqsPublisher(config: QueueConfig, logger: Logger): QueuePublisher {
  const queueUrl = config.queueUrl
  if (!queueUrl) return { enabled: false, publish: async () => undefined }
  let client: SQSClient | undefined
  return {
    enabled: true,
    async publish(messages) {
      client ??= new SQSClient({
        region: config.region,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.credentials ? { credentials: config.credentials } : {}),
      })
      for (let i = 0; i < messages.length; i += 10) {
        const chunk = messages.slice(i, i + 10)
        try {
          const result = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((m, n) => ({
                Id: String(n),
                MessageBody: JSON.stringify({ id: m.id, kind: m.kind }),
                DelaySeconds: Math.min(900, Math.max(0, Math.round(m.delaySeconds ?? 0))),
              })),
            }),
          )
          if (result.Failed?.length) logger.warn('outbox publish partly failed; the sweep will retry', { failed: result.Failed.length })
        } catch (err) {
          logger.warn('outbox publish failed; the sweep will retry', { messages: chunk.length, error: (err as Error).message })
        }
      }
    },
  }
}
