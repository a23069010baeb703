/**
 * `Outbox.add(db, message)` writes the side effect as a row — inside the caller's transaction when
 * `db` is one — and remembers its id; `flush` sends the remembered ids to the queue once the work
 * is over (after commit). An id whose transaction rolled back is simply unknown at delivery.
 */
import type { Queryable } from '../db/types.js'
import type { QueuedMessage, QueuePublisher } from './publisher.js'

export interface OutboxMessage {
  kind: string
  payload: Record<string, unknown>
  userId?: string
  /** Not before this many seconds. */
  delaySeconds?: number
}

export class Outbox {
  private readonly pending: QueuedMessage[] = []

  /** `maxAttempts`: deliveries before a row is marked dead (`QUEUE_MAX_ATTEMPTS`). */
  constructor(private readonly maxAttempts = 8) {}

  async add(db: Queryable, message: OutboxMessage): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO outbox (kind, payload, user_id, next_attempt_at, max_attempts) VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5) RETURNING id`,
      [message.kind, JSON.stringify(message.payload), message.userId ?? null, message.delaySeconds ?? 0, this.maxAttempts],
    )
    const id = rows[0]!.id
    this.pending.push({ id, kind: message.kind, delaySeconds: message.delaySeconds })
    return id
  }

  /** Rows written by other SQL (one statement for many events) to publish with the rest. */
  track(ids: string[], kind: string): void {
    for (const id of ids) this.pending.push({ id, kind })
  }

  get size(): number {
    return this.pending.length
  }

  /** Publishes what was added; returns the work (for `defer` on Workers). */
  flush(publisher: QueuePublisher): Promise<void> | undefined {
    if (this.pending.length === 0 || !publisher.enabled) return undefined
    return publisher.publish(this.pending.splice(0))
  }
}
