/**
 * Development and tests only: receives from a (fauxqs) queue and hands each batch to the SQS
 * consumer handler, then deletes what the handler did not report failed — what Lambda's event
 * source mapping does in production, with the records in the shape it sends. It loops, so it lives
 * here, never in runtime code.
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs'
import type { SqsBatchResponse, SqsEvent } from '../../src/queue/sqs-batch.js'
import { sqsRecord } from './sqs-record.js'

export interface Poller {
  stop(): Promise<void>
  /** Batches handed to the consumer so far. */
  readonly batches: number
}

export function startSqsPoller(sqs: SQSClient, queueUrl: string, consume: (event: SqsEvent) => Promise<SqsBatchResponse>, waitSeconds = 1): Poller {
  let stopped = false
  let batches = 0
  const loop = (async () => {
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })).catch(() => ({ Attributes: undefined }))
    const queueArn = attributes.Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`
    while (!stopped) {
      const received = await sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
          }),
        )
        .catch(() => ({ Messages: undefined }))
      const messages = received.Messages ?? []
      if (stopped || messages.length === 0) continue
      batches++
      const event: SqsEvent = {
        Records: messages.map((m) =>
          sqsRecord({
            messageId: m.MessageId!,
            receiptHandle: m.ReceiptHandle!,
            body: m.Body ?? '',
            queueArn,
            receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
            sentAtMs: m.Attributes?.SentTimestamp ? Number(m.Attributes.SentTimestamp) : undefined,
            firstReceivedAtMs: m.Attributes?.ApproximateFirstReceiveTimestamp ? Number(m.Attributes.ApproximateFirstReceiveTimestamp) : undefined,
          }),
        ),
      }
      const { batchItemFailures } = await consume(event)
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier))
      const done = messages.filter((m) => !failed.has(m.MessageId!))
      if (done.length) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) })).catch(() => undefined)
      }
    }
  })()
  return {
    get batches() {
      return batches
    },
    async stop() {
      stopped = true
      await loop
    },
  }
}
