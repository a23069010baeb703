/**
 * `POST /queue/deliver` `{"id", "receiveCount"?}`: what an SQS message asks for, done once.
 * Claims the outbox row, skips it if already done (duplicates are normal), runs the handler for its
 * kind, records the attempt and answers what the consumer should do with the message:
 * `done` / `duplicate` / `unknown` / `dead` / `deferred` / `postponed` → delete it; `retry` → retry after `retryAfterS`.
 * `postponed` is a wait, not a failure (the task's lease is held elsewhere): the attempt is given back
 * and the row is published again with a delay, so neither `max_attempts` nor the queue's
 * `maxReceiveCount` counts it.
 */
import { sqlState, UNIQUE_VIOLATION } from '../db/errors.js'
import type { Db } from '../db/types.js'
import type { Logger } from '../logger.js'
import type { Outbox } from './outbox.js'

export interface OutboxRow {
  id: string
  kind: string
  payload: Record<string, unknown>
  userId: string | null
  attempts: number
  maxAttempts: number
  /** Times this row waited for something held elsewhere (not counted in `attempts`). */
  leaseWaits: number
}

/** Thrown by a handler to ask for a retry at a specific delay (rate limit, lease held elsewhere). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterS: number,
  ) {
    super(message)
  }
}

/** Thrown by a handler when the row cannot run yet through no fault of its own: try again in `afterS`, attempt not counted. */
export class Postpone extends Error {
  constructor(
    message: string,
    readonly afterS: number,
  ) {
    super(message)
  }
}

/** Thrown by a handler when retrying cannot help. */
export class PermanentFailure extends Error {}

/** `outbox` collects side effects of the handler itself, published after the delivery. */
export type OutboxHandler = (row: OutboxRow, db: Db, outbox: Outbox) => Promise<void>

export type DeliverResult =
  | { result: 'done' | 'duplicate' | 'unknown' | 'dead' }
  | { result: 'retry'; retryAfterS: number; error: string }
  | { result: 'deferred'; nextAttemptAt: string; error: string }
  | { result: 'postponed'; nextAttemptAt: string; reason: string }

/** SQS can hold a message back at most 15 minutes; longer waits go back to the row. */
export const MAX_QUEUE_DELAY_S = 900

/** A failed delivery is tried again after 30 s, 1 min, 2 min, … 2 h at most (`lowtide_backoff`, by attempts made). */
const RETRY_BASE = '30 seconds'
const RETRY_CAP = '2 hours'

export async function deliver(db: Db, id: string, handlers: Record<string, OutboxHandler>, logger: Logger, outbox: Outbox): Promise<DeliverResult> {
  const claimed = await db.query<OutboxRow>(
    `UPDATE outbox SET status = 'processing', attempts = attempts + 1, claimed_until = now() + interval '2 minutes'
     WHERE id = $1 AND (status = 'pending' OR (status = 'processing' AND claimed_until < now()))
     RETURNING id, kind, payload, user_id AS "userId", attempts, max_attempts AS "maxAttempts", lease_waits AS "leaseWaits"`,
    [id],
  )
  const row = claimed.rows[0]
  if (!row) {
    const existing = await db.query<{ status: string }>(`SELECT status FROM outbox WHERE id = $1`, [id])
    const status = existing.rows[0]?.status
    if (!status) return { result: 'unknown' }
    if (status === 'processing') return { result: 'retry', retryAfterS: 30, error: 'being delivered by another consumer' }
    return { result: status === 'dead' ? 'dead' : 'duplicate' }
  }
  const handler = handlers[row.kind]
  try {
    if (!handler) throw new PermanentFailure(`no handler for outbox kind ${row.kind}`)
    await handler(row, db, outbox)
    await db.query(`UPDATE outbox SET status = 'done', done_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1`, [id])
    return { result: 'done' }
  } catch (err) {
    if (err instanceof Postpone) return postpone(db, row, err, logger, outbox)
    const error = (err as Error).message.slice(0, 1000)
    const dead = err instanceof PermanentFailure || row.attempts >= row.maxAttempts
    // The handler's own delay (a webhook's retry schedule, a rate limit) or the backoff, computed in the update.
    const { rows } = await db.query<{ next: string; waitS: number }>(
      `UPDATE outbox SET status = $2, last_error = $3, claimed_until = NULL,
         next_attempt_at = CASE WHEN $2 = 'pending'
           THEN now() + coalesce(make_interval(secs => $4), lowtide_backoff(attempts, $5::interval, $6::interval)) ELSE next_attempt_at END
       WHERE id = $1 RETURNING to_json(next_attempt_at)#>>'{}' AS next, ceil(extract(epoch FROM next_attempt_at - now()))::int AS "waitS"`,
      [id, dead ? 'dead' : 'pending', error, err instanceof RetryLater ? err.afterS : null, RETRY_BASE, RETRY_CAP],
    )
    const waitS = rows[0]!.waitS
    logger.warn('outbox delivery failed', { id, kind: row.kind, attempt: row.attempts, dead, error })
    if (dead) return { result: 'dead' }
    if (waitS > MAX_QUEUE_DELAY_S) return { result: 'deferred', nextAttemptAt: rows[0]!.next, error }
    return { result: 'retry', retryAfterS: waitS, error }
  }
}

async function postpone(db: Db, row: OutboxRow, wait: Postpone, logger: Logger, outbox: Outbox): Promise<DeliverResult> {
  const afterS = Math.min(MAX_QUEUE_DELAY_S, Math.max(1, Math.ceil(wait.afterS)))
  const reason = wait.message.slice(0, 1000)
  try {
    const { rows } = await db.query<{ next: string }>(
      `UPDATE outbox SET status = 'pending', attempts = attempts - 1, lease_waits = lease_waits + 1, claimed_until = NULL, last_error = $2,
         next_attempt_at = now() + make_interval(secs => $3)
       WHERE id = $1 RETURNING to_json(next_attempt_at)#>>'{}' AS next`,
      [row.id, reason, afterS],
    )
    // The message that brought this row is acknowledged; this one brings it back after the wait.
    outbox.track([row.id], row.kind, afterS)
    logger.info('outbox delivery postponed', { id: row.id, kind: row.kind, afterS, waits: row.leaseWaits + 1, reason })
    return { result: 'postponed', nextAttemptAt: rows[0]!.next, reason }
  } catch (err) {
    if (sqlState(err) !== UNIQUE_VIOLATION) throw err
    // Another pending row has this one's coalesce key: it will do the same work.
    await db.query(`UPDATE outbox SET status = 'done', done_at = now(), claimed_until = NULL, last_error = 'coalesced with a pending row' WHERE id = $1`, [row.id])
    return { result: 'done' }
  }
}

/**
 * The queue gave up on a row's message (it reached the dead-letter queue): a row still not done is
 * recorded dead, so the sweep stops republishing a message no consumer gets through. (An outage of
 * the database sends nothing there: the consumer acknowledges a message it could not deliver for
 * that reason on its last try, and the sweep republishes the row.)
 */
export async function deadLettered(db: Db, id: string, logger: Logger): Promise<DeliverResult> {
  const { rows } = await db.query<{ kind: string; attempts: number }>(
    `UPDATE outbox SET status = 'dead', claimed_until = NULL,
       last_error = left('the queue gave up on its message (dead-letter queue)' || coalesce(': ' || last_error, ''), 1000)
     WHERE id = $1 AND status IN ('pending', 'processing')
     RETURNING kind, attempts`,
    [id],
  )
  if (rows[0]) {
    logger.error('outbox row dead-lettered by the queue', { id, kind: rows[0].kind, attempts: rows[0].attempts })
    return { result: 'dead' }
  }
  const existing = await db.query<{ status: string }>(`SELECT status FROM outbox WHERE id = $1`, [id])
  const status = existing.rows[0]?.status
  if (!status) return { result: 'unknown' }
  return { result: status === 'dead' ? 'dead' : 'duplicate' }
}
