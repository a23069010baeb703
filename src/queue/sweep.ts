/**
 * `outbox-sweep` (every minute): the database is the source of truth, SQS the accelerator. Rows
 * still unfinished a minute after they were due — the publish failed or never happened, the
 * consumer died — are published again; with no queue configured they are delivered right here.
 */
import type { Db } from '../db/types.js'
import type { Logger } from '../logger.js'
import type { TaskFn } from '../tasks/types.js'
import { deliver, type OutboxHandler } from './deliver.js'
import { Outbox } from './outbox.js'
import type { QueuePublisher } from './publisher.js'

const BATCH = 500
/** Rows republished per run at most; ids only, so this is one small read. */
const REPUBLISH_LIMIT = 5000

export function outboxSweep(deps: { publisher: QueuePublisher; handlers: () => Record<string, OutboxHandler>; logger: Logger; maxAttempts: number }): TaskFn {
  return async (ctx) => {
    let processed = 0
    let more = false
    for (;;) {
      if (ctx.budget.spent()) {
        more = true
        break
      }
      if (deps.publisher.enabled) {
        // One pass: what is republished is the queue's now (still pending, so not re-read in this run).
        const due = await dueRows(ctx.db, '1 minute', REPUBLISH_LIMIT)
        await deps.publisher.publish(due)
        processed += due.length
        more = due.length === REPUBLISH_LIMIT
        break
      }
      const due = await dueRows(ctx.db, '0 seconds', BATCH)
      for (const row of due) {
        if (ctx.budget.spent()) break
        // Rows the handler adds are picked up by this same loop (no queue to publish to).
        await deliver(ctx.db, row.id, deps.handlers(), deps.logger, new Outbox(deps.maxAttempts))
        processed++
      }
      if (due.length < BATCH) break
    }
    return { processed, more, mode: deps.publisher.enabled ? 'republished' : 'delivered' }
  }
}

async function dueRows(db: Db, grace: string, limit: number): Promise<{ id: string; kind: string }[]> {
  const { rows } = await db.query<{ id: string; kind: string }>(
    `SELECT id, kind FROM outbox
     WHERE (status = 'pending' AND next_attempt_at <= now() - $1::interval)
        OR (status = 'processing' AND claimed_until < now())
     ORDER BY next_attempt_at LIMIT $2`,
    [grace, limit],
  )
  return rows
}
