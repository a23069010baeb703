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
  /** While a pending row has this key, adding another returns that row's id and writes nothing. */
  coalesceKey?: string
}

export class Outbox {
  private readonly pending: QueuedMessage[] = []

  /** `maxAttempts`: deliveries before a row is marked dead (`QUEUE_MAX_ATTEMPTS`). */
  constructor(private readonly maxAttempts = 8) {}

  async add(db: Queryable, message: OutboxMessage): Promise<string> {
    for (;;) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO outbox (kind, payload, user_id, next_attempt_at, max_attempts, coalesce_key) VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)
         ON CONFLICT (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL DO NOTHING RETURNING id`,
        [message.kind, JSON.stringify(message.payload), message.userId ?? null, message.delaySeconds ?? 0, this.maxAttempts, message.coalesceKey ?? null],
      )
      const id = rows[0]?.id
      if (id) {
        this.pending.push({ id, kind: message.kind, delaySeconds: message.delaySeconds })
        return id
      }
      // Coalesced: the pending row is already on its way. Gone since (claimed)? Then a new one is due.
      const existing = await db.query<{ id: string }>(`SELECT id FROM outbox WHERE coalesce_key = $1 AND status = 'pending'`, [message.coalesceKey])
      if (existing.rows[0]) return existing.rows[0].id
    }
  }

  /** Rows written by other SQL (one statement for many events), or put back by a delivery, to publish with the rest. */
  track(ids: string[], kind: string, delaySeconds?: number): void {
    for (const id of ids) this.pending.push({ id, kind, delaySeconds })
  }

  get size(): number {
    return this.pending.length
  }

  /** What was added and not published yet, handed over (and forgotten here). */
  take(): QueuedMessage[] {
    return this.pending.splice(0)
  }

  /** Publishes what was added; returns the work (for `defer` on Workers). */
  flush(publisher: QueuePublisher): Promise<void> | undefined {
    if (this.pending.length === 0 || !publisher.enabled) return undefined
    return publisher.publish(this.pending.splice(0))
  }
}
