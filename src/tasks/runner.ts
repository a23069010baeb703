/**
 * Runs one trigger of a task: lease → catch-up policy → occurrence(s) in the ledger → the task,
 * within its budget → ledger → lease released. The same code serves every trigger (Workers cron,
 * EventBridge, HTTP cron, the CLI, the dev clock), because they all arrive as `POST /tasks/<name>`.
 */
import type { Cron } from 'croner'
import type { Db } from '../db/types.js'
import { AppError } from '../errors.js'
import type { Logger } from '../logger.js'
import { createBudget, pause } from './budget.js'
import { releaseLease, takeLease } from './lease.js'
import { finishOccurrence, lastOccurrence, openOccurrence, recordSkipped } from './ledger.js'
import { occurrencesBetween } from './occurrences.js'
import type { Outbox } from '../queue/outbox.js'
import type { EnqueueOptions, ScheduleEntry, TaskFn } from './types.js'

/** A crashed run's lease outlives its budget by this much, then anyone may take it. */
export const LEASE_MARGIN_MS = 10_000
/** `overlap: queue` waits this long at most for a running occurrence to finish. */
const QUEUE_WAIT_MS = 10_000
/** How often a waiting trigger asks for the lease again. */
const LEASE_POLL_MS = 100

/** The error code of a trigger refused because another run holds the task's lease (HTTP 409). */
export const TASK_RUNNING = 'task_running'

/** Another run holds the task's lease: who, and when that lease ends at the latest. */
export class TaskRunningError extends Error {
  override name = 'TaskRunningError'
  constructor(
    readonly task: string,
    readonly holderRunId: string,
    readonly holder: string,
    readonly expiresAt: string,
  ) {
    super(`${task} is already running (run ${holderRunId} on ${holder}, lease until ${expiresAt})`)
  }

  /** The answer of `POST /tasks/<name>`: 409 `task_running`, with the holder's run id and lease expiry. */
  toAppError(): AppError {
    return new AppError(409, TASK_RUNNING, this.message, { runId: this.holderRunId, holder: this.holder, expiresAt: this.expiresAt })
  }
}

export interface PreparedTask {
  /** The entry's name and policies (its factory has been called: `run`). */
  entry: Omit<ScheduleEntry, 'task'>
  cron: Cron
  run: TaskFn
  budgetMs: number
}

export interface RunOutcome {
  runId: string
  task: string
  scheduledAt: string
  /** `succeeded`, or `duplicate` when this occurrence had already run. */
  status: 'succeeded' | 'duplicate'
  processed: number
  more: boolean
  /** Missed occurrences run (catch-up) or recorded as skipped in this trigger. */
  caughtUp: number
  skipped: number
  result?: Record<string, unknown>
  /** The outbox id of the continuation queued when `more` (with a queue configured). */
  continuation?: string
}

export async function runTrigger(
  prepared: PreparedTask,
  request: {
    db: Db
    scheduledAt: Date
    trigger: string
    /** What identified the delivery (QStash's message id), recorded with the occurrence it opens. */
    triggerRef?: string
    holder: string
    logger: Logger
    outbox: Outbox
    queueEnabled?: boolean
    /** Wait this long for a held lease before giving up (`overlap: queue` waits 10 s whatever this says). */
    leaseWaitMs?: number
  },
): Promise<RunOutcome> {
  const { entry, cron, run, budgetMs } = prepared
  const { db, scheduledAt, logger, outbox } = request
  const enqueue = (task: string, options: EnqueueOptions = {}, coalesceKey?: string) =>
    outbox.add(db, { kind: 'task', payload: { task, scheduledAt: (options.scheduledAt ?? new Date()).toISOString() }, delaySeconds: options.delaySeconds, coalesceKey })
  const runId = crypto.randomUUID()
  const budget = createBudget(budgetMs)

  const waitUntil = budget.deadline - budgetMs + (entry.overlap === 'queue' ? QUEUE_WAIT_MS : (request.leaseWaitMs ?? 0))
  let lease = await takeLease(db, entry.name, runId, request.holder, budgetMs + LEASE_MARGIN_MS)
  while (!lease.taken && waitUntil > Date.now()) {
    // Waiting holds no connection: runs queued behind one task must not starve the pool.
    await db.yieldConnection()
    await pause(LEASE_POLL_MS, budget)
    lease = await takeLease(db, entry.name, runId, request.holder, budgetMs + LEASE_MARGIN_MS)
  }
  if (!lease.taken) throw new TaskRunningError(entry.name, lease.holderRunId, lease.holder, lease.expiresAt)

  try {
    const { toRun, skipped } = await planCatchUp(db, prepared, scheduledAt)
    await recordSkipped(db, entry.name, skipped)
    const outcome: RunOutcome = { runId, task: entry.name, scheduledAt: scheduledAt.toISOString(), status: 'succeeded', processed: 0, more: false, caughtUp: 0, skipped: skipped.length }
    for (const at of [...toRun, scheduledAt]) {
      const isCurrent = at === scheduledAt
      if (!isCurrent && budget.spent()) break // the rest is caught up by the next trigger
      const id = isCurrent ? runId : crypto.randomUUID()
      const opened = await openOccurrence(db, entry.name, at, isCurrent ? request.trigger : 'catch-up', id, isCurrent ? request.triggerRef : undefined)
      if (!opened.opened) {
        if (isCurrent) Object.assign(outcome, { status: 'duplicate', runId: opened.id })
        continue
      }
      let result
      try {
        result = await run({ db, scheduledAt: at, budget, runId: id, logger, enqueue, outbox })
      } catch (err) {
        await finishOccurrence(db, id, { status: 'failed', processed: 0, more: false, error: (err as Error).message }).catch(() => undefined)
        logger.error('task failed', { task: entry.name, runId: id, scheduledAt: at.toISOString(), error: (err as Error).message })
        throw err
      }
      await finishOccurrence(db, id, { status: 'succeeded', processed: result.processed, more: result.more })
      if (isCurrent) {
        const { processed, more, ...rest } = result
        Object.assign(outcome, { processed, more, result: rest })
        // Work left over: an immediate continuation through the queue (one pending at most), or the next occurrence.
        if (more && request.queueEnabled) outcome.continuation = await enqueue(entry.name, {}, continuationKey(entry.name))
      } else {
        outcome.caughtUp++
      }
    }
    logger.info('task run', { task: entry.name, runId: outcome.runId, status: outcome.status, processed: outcome.processed, more: outcome.more })
    return outcome
  } finally {
    await releaseLease(db, entry.name, runId).catch((err: Error) => logger.warn('lease release failed', { task: entry.name, error: err.message }))
  }
}

/** Continuations of one task coalesce: while one is pending, another is that one. */
export const continuationKey = (task: string) => `continuation:${task}`

/** Which missed occurrences (between the last one on record and this one) to run, and which to skip. */
async function planCatchUp(db: Db, prepared: PreparedTask, scheduledAt: Date): Promise<{ toRun: Date[]; skipped: Date[] }> {
  const { entry, cron } = prepared
  const last = await lastOccurrence(db, entry.name, scheduledAt)
  if (!last) return { toRun: [], skipped: [] }
  const maxCatchUp = entry.maxCatchUp ?? 10
  const missed = occurrencesBetween(cron, last, scheduledAt, maxCatchUp)
  switch (entry.catchUp ?? 'skip') {
    case 'skip':
      return { toRun: [], skipped: missed }
    case 'once':
      return { toRun: missed.slice(-1), skipped: missed.slice(0, -1) }
    case 'all':
      // Bounded: beyond `maxCatchUp`, the oldest are skipped.
      return { toRun: missed.slice(-maxCatchUp), skipped: missed.slice(0, -maxCatchUp) }
  }
}
