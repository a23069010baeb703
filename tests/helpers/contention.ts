/**
 * Queued runs of one task delivered at once through a real queue (fauxqs) and the SQS consumer:
 * they meet each other's lease, which is a wait, not a failure. Used by the queue suite and,
 * larger, by the fault suite.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs'
import type pg from 'pg'
import type { SqsBatchResponse, SqsEvent } from '../../functions/sqs-consumer.js'
import { startSqsPoller } from '../../tools/lib/sqs-poller.js'
import { waitFor } from './db.js'
import type { LocalSqs } from './fauxqs.js'

export interface ContentionOutcome {
  rows: { status: string; attempts: number; lease_waits: number }[]
  /** Messages in the dead-letter queue afterwards. */
  dlq: number
  /** From the first send until no row is pending or processing. */
  ms: number
}

/** Sends one message per outbox row (in batches of 10, as fast as SQS takes them) and consumes until every row is settled. */
export async function deliverAtOnce(observer: pg.Client, sqs: LocalSqs, consume: (event: SqsEvent) => Promise<SqsBatchResponse>, ids: string[], withinMs: number): Promise<ContentionOutcome> {
  const started = performance.now()
  for (let i = 0; i < ids.length; i += 10) {
    const entries = ids.slice(i, i + 10).map((id, n) => ({ Id: String(n), MessageBody: JSON.stringify({ id, kind: 'task' }) }))
    await sqs.sqs.send(new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: entries }))
  }
  const rows = async () =>
    (await observer.query<ContentionOutcome['rows'][number]>(`SELECT status, attempts, lease_waits FROM outbox WHERE id = ANY($1) ORDER BY created_at`, [ids])).rows
  const poller = startSqsPoller(sqs.sqs, sqs.queueUrl, consume)
  try {
    await waitFor(async () => (await rows()).every((r) => r.status !== 'pending' && r.status !== 'processing'), withinMs, 200)
  } finally {
    await poller.stop()
  }
  const ms = performance.now() - started
  const dlq = await sqs.sqs.send(new ReceiveMessageCommand({ QueueUrl: sqs.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))
  return { rows: await rows(), dlq: dlq.Messages?.length ?? 0, ms }
}
