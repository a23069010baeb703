/**
 * The outbox publisher on Node and Lambda: `@aws-sdk/client-sqs`, with the SDK's credential chain.
 * The SDK is loaded at the first publish, not at start-up: it is ~2.5 MB of heap and ~100 ms of
 * module loading, which a cold start without a queue (or before its first write) need not pay.
 */
import type { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs'
import type { QueueConfig } from '../src/config/runtime.js'
import type { Logger } from '../src/logger.js'
import { batches, disabledPublisher, type QueuePublisher } from '../src/queue/publisher.js'

interface Sdk {
  client: SQSClient
  SendMessageBatchCommand: typeof SendMessageBatchCommand
}

export function createSqsPublisher(config: QueueConfig, logger: Logger): QueuePublisher {
  const queueUrl = config.queueUrl
  if (!queueUrl || config.transport === 'none') return disabledPublisher
  let sdk: Promise<Sdk> | undefined
  const loadSdk = async (): Promise<Sdk> => {
    const { SQSClient, SendMessageBatchCommand } = await import('./adapters/sqs-sdk.js')
    const client = new SQSClient({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
    })
    return { client, SendMessageBatchCommand }
  }
  return {
    enabled: true,
    transport: 'sqs',
    async publish(messages) {
      for (const entries of batches(messages)) {
        try {
          const { client, SendMessageBatchCommand } = await (sdk ??= loadSdk())
          const result = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
          if (result.Failed?.length) logger.warn('outbox publish partly failed; the sweep will retry', { failed: result.Failed.length })
        } catch (err) {
          logger.warn('outbox publish failed; the sweep will retry', { messages: entries.length, error: (err as Error).message })
        }
      }
    },
  }
}
