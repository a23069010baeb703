/**
 * `npm start`'s queue: fauxqs (a real SQS wire API) in-process on loopback, with a DLQ, and a
 * poller handing its batches to the same consumer handler a deployment runs
 * (`functions/sqs-consumer.ts`), which POSTs each message, signed, to the local server.
 */
import { SQSClient } from '@aws-sdk/client-sqs'
import { startLoopbackFauxqs } from './fauxqs.js'
import { createConsumer } from '../../functions/sqs-consumer.js'
import { silentLogger } from '../../src/logger.js'
import { startSqsPoller, type Poller } from './sqs-poller.js'

export interface LocalQueue {
  endpoint: string
  queueUrl: string
  sqs: SQSClient
  /** Starts delivering to the app at `baseUrl`. */
  consumeInto(baseUrl: string, signingSecret: string): void
  stop(): Promise<void>
}

export async function startLocalQueue(): Promise<LocalQueue> {
  // fauxqs accepts any credentials; the SDK's default chain just needs some.
  process.env.AWS_ACCESS_KEY_ID ??= 'local'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local'
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1'
  const server = await startLoopbackFauxqs()
  const dlq = server.createQueue('lowtide-dlq') as { queueArn: string }
  const { queueUrl } = server.createQueue('lowtide', {
    attributes: { VisibilityTimeout: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: '10' }) },
  }) as { queueUrl: string }
  const sqs = new SQSClient({ endpoint: server.address, region: 'us-east-1' })
  let poller: Poller | undefined
  let stopping: Promise<void> | undefined
  return {
    endpoint: server.address,
    queueUrl,
    sqs,
    consumeInto(baseUrl, signingSecret) {
      const consume = createConsumer({ appBaseUrl: baseUrl, signingSecret, queueUrl, sqs, logger: silentLogger })
      poller = startSqsPoller(sqs, queueUrl, consume, 5)
    },
    stop() {
      stopping ??= (async () => {
        await poller?.stop()
        sqs.destroy()
        await server.stop()
      })()
      return stopping
    },
  }
}
