/** The outbox kind `task`: a continuation or an `enqueue` from a task run, delivered through the queue. */
import type { Logger } from '../logger.js'
import { MAX_QUEUE_DELAY_S, PermanentFailure, Postpone, type OutboxHandler } from '../queue/deliver.js'
import { runTrigger, TaskRunningError, type PreparedTask } from './runner.js'

/** A queued run first waits this long in place for a held lease: most runs are short. */
export const DELIVERY_LEASE_WAIT_MS = 2_000

/**
 * How long a queued run waits for a lease held elsewhere before it is delivered again: 1 s, 2 s, 4 s…
 * by the waits so far, never beyond the lease's end (a crashed holder's lease expires) nor 15 min.
 */
export function leaseWaitSeconds(expiresAt: string, waitsSoFar: number, now = Date.now()): number {
  const leaseLeftS = Math.ceil((Date.parse(expiresAt) - now) / 1000)
  return Math.min(MAX_QUEUE_DELAY_S, Math.max(1, Math.min(leaseLeftS, 2 ** Math.min(waitsSoFar, 10))))
}

export function taskHandler(tasks: Map<string, PreparedTask>, deps: { holder: string; logger: Logger; queueEnabled: boolean }): OutboxHandler {
  return async (row, db, outbox) => {
    const { task, scheduledAt } = row.payload as { task?: string; scheduledAt?: string }
    const prepared = task ? tasks.get(task) : undefined
    if (!prepared) throw new PermanentFailure(`unknown task ${String(task)}`)
    try {
      await runTrigger(prepared, {
        db,
        scheduledAt: scheduledAt ? new Date(scheduledAt) : new Date(),
        trigger: 'queue',
        holder: deps.holder,
        logger: deps.logger,
        outbox,
        queueEnabled: deps.queueEnabled,
        leaseWaitMs: DELIVERY_LEASE_WAIT_MS,
      })
    } catch (err) {
      // Running elsewhere: a wait, not a failure.
      if (err instanceof TaskRunningError) throw new Postpone(err.message, leaseWaitSeconds(err.expiresAt, row.leaseWaits))
      throw err
    }
  }
}
