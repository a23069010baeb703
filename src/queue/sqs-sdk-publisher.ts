/** The outbox publisher on Node and Lambda: `@aws-sdk/client-sqs`, with the SDK's credential chain. */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { QueueConfig } from '../config.js'
import type { Logger } from '../logger.js'
import { batches, disabledPublisher, type QueuePublisher } from './publisher.js'

export function createSqsPublisher(config: QueueConfig, logger: Logger): QueuePublisher {
  const queueUrl = config.queueUrl
  if (!queueUrl) return disabledPublisher
  let client: SQSClient | undefined
  return {
    enabled: true,
    async publish(messages) {
      client ??= new SQSClient({
        region: config.region,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.credentials ? { credentials: config.credentials } : {}),
      })
      for (const entries of batches(messages)) {
        try {
          const result = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
          if (result.Failed?.length) logger.warn('outbox publish partly failed; the sweep will retry', { failed: result.Failed.length })
        } catch (err) {
          logger.warn('outbox publish failed; the sweep will retry', { messages: entries.length, error: (err as Error).message })
        }
      }
    },
  }
}
