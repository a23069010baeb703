/**
 * What the `outbox-sweep` task does (src/tasks/outbox-sweep.ts): the database is the source of truth,
 * SQS the accelerator. Rows still unfinished a minute after they were due — the publish failed or
 * never happened, the consumer died — are published again; with no queue configured they are
 * delivered right here.
 */
import type { Db } from '../db/types.js'
import type { QueuePublisher } from './publisher.js'

/** Rows republished per run at most; ids only, so this is one small read. */
export const REPUBLISH_LIMIT = 5000

/** Publishes every overdue row once more; returns how many (at most REPUBLISH_LIMIT). */
export async function republishOverdue(db: Db, publisher: QueuePublisher): Promise<number> {
  // One pass: what is republished is the queue's now (still pending, so not re-read in this run).
  const due = await dueRows(db, '1 minute', REPUBLISH_LIMIT)
  await publisher.publish(due)
  return due.length
}

/** Rows due now (pending, or claimed by a delivery that died), oldest first. */
export async function dueRows(db: Db, grace: string, limit: number): Promise<{ id: string; kind: string }[]> {
  const { rows } = await db.query<{ id: string; kind: string }>(
    `SELECT id, kind FROM outbox
     WHERE (status = 'pending' AND next_attempt_at <= now() - $1::interval)
        OR (status = 'processing' AND claimed_until < now())
     ORDER BY next_attempt_at LIMIT $2`,
    [grace, limit],
  )
  return rows
}
