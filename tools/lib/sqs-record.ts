/**
 * An SQS record exactly as Lambda's event source mapping delivers it (every field of the
 * `@aws-lambda-powertools/parser` SqsRecordSchema, and the three attributes AWS always sends), for
 * the dev poller and the tests.
 */
import { createHash } from 'node:crypto'
import type { SqsRecord } from '../../src/queue/sqs-batch.js'

export interface SqsRecordInput {
  messageId: string
  receiptHandle: string
  body: string
  /** arn:aws:sqs:<region>:<account>:<name> */
  queueArn: string
  receiveCount?: number
  sentAtMs?: number
  firstReceivedAtMs?: number
}

export function sqsRecord(input: SqsRecordInput): SqsRecord {
  const [, , , region = 'us-east-1', account = '000000000000'] = input.queueArn.split(':')
  const sent = input.sentAtMs ?? Date.now()
  return {
    messageId: input.messageId,
    receiptHandle: input.receiptHandle,
    body: input.body,
    attributes: {
      ApproximateReceiveCount: String(input.receiveCount ?? 1),
      SentTimestamp: String(sent),
      SenderId: `AROA${account.slice(0, 8)}EXAMPLE:lowtide-api`,
      ApproximateFirstReceiveTimestamp: String(input.firstReceivedAtMs ?? sent + 15),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(input.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: input.queueArn,
    awsRegion: region,
  }
}
