/** The outbox kind `task`: a continuation or an `enqueue` from a task run, delivered through the queue. */
import { AppError } from '../errors.js'
import type { Logger } from '../logger.js'
import { PermanentFailure, RetryLater, type OutboxHandler } from '../queue/deliver.js'
import { runTrigger, type PreparedTask } from './runner.js'

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
      })
    } catch (err) {
      // Running elsewhere: try again once that run's lease is likely over.
      if (err instanceof AppError && err.code === 'task_running') throw new RetryLater(err.message, 30)
      throw err
    }
  }
}
