import { SQSClient } from '@aws-sdk/client-sqs'
import { startLoopbackFauxqs } from '../../tools/lib/fauxqs.js'

// The SDK's default credential chain wants something; fauxqs accepts anything.
process.env.AWS_ACCESS_KEY_ID ??= 'test'
process.env.AWS_SECRET_ACCESS_KEY ??= 'test'
process.env.AWS_REGION ??= 'us-east-1'
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1'

export interface LocalSqs {
  endpoint: string
  queueUrl: string
  dlqUrl: string
  sqs: SQSClient
  stop(): Promise<void>
}

/** fauxqs on loopback: a queue with a DLQ after `maxReceiveCount` receives. */
export async function startLocalSqs(options: { maxReceiveCount?: number; visibilityTimeoutS?: number } = {}): Promise<LocalSqs> {
  const server = await startLoopbackFauxqs()
  const dlq = server.createQueue(`lowtide-dlq-${Date.now()}`) as { queueUrl: string; queueArn: string }
  const queue = server.createQueue(`lowtide-${Date.now()}`, {
    attributes: {
      VisibilityTimeout: String(options.visibilityTimeoutS ?? 30),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(options.maxReceiveCount ?? 5) }),
    },
  }) as { queueUrl: string }
  const sqs = new SQSClient({ endpoint: server.address, region: 'us-east-1' })
  return {
    endpoint: server.address,
    queueUrl: queue.queueUrl,
    dlqUrl: dlq.queueUrl,
    sqs,
    async stop() {
      sqs.destroy()
      await server.stop()
    },
  }
}
