/**
 * A user's events become webhook deliveries: one `webhook_deliveries` row per event and subscribed,
 * enabled endpoint, and one outbox row per delivery — a single statement, in the caller's
 * transaction, however many events and endpoints. Publishing follows the caller's outbox.
 */
import type { Queryable } from '../../db/types.js'
import type { Outbox } from '../../queue/outbox.js'
import type { WebhookEventType } from './schema.js'

export interface UserEvent {
  userId: string
  type: WebhookEventType | 'webhook.test'
  data: Record<string, unknown>
}

/** 8 attempts: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h later. */
export const WEBHOOK_RETRY_DELAYS_S = [5, 300, 1800, 7200, 18000, 36000, 36000]
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_S.length + 1

export async function emitEvents(db: Queryable, outbox: Outbox | undefined, events: UserEvent[], onlyEndpoint?: string): Promise<string[]> {
  if (events.length === 0) return []
  const { rows } = await db.query<{ id: string; delivery_id: string }>(
    `WITH ev AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("userId" uuid, type text, data jsonb)
     ), d AS (
       INSERT INTO webhook_deliveries (endpoint_id, event_type, payload, event_id)
       SELECT e.id, ev.type, jsonb_build_object('type', ev.type, 'timestamp', now(), 'data', ev.data), 'evt_' || replace(gen_random_uuid()::text, '-', '')
       FROM ev JOIN webhook_endpoints e ON e.user_id = ev."userId"
       WHERE CASE WHEN $2::uuid IS NULL THEN e.enabled AND ev.type = ANY (e.event_types) ELSE e.id = $2::uuid END
       RETURNING id, endpoint_id
     )
     INSERT INTO outbox (kind, payload, user_id, max_attempts)
     SELECT 'webhook', jsonb_build_object('deliveryId', d.id), e.user_id, $3 FROM d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     RETURNING id, payload->>'deliveryId' AS delivery_id`,
    [JSON.stringify(events), onlyEndpoint ?? null, WEBHOOK_MAX_ATTEMPTS],
  )
  outbox?.track(rows.map((r) => r.id), 'webhook')
  return rows.map((r) => r.delivery_id)
}

/** Queues deliveries again (replay): a new outbox row each, attempts continue on the delivery. */
export async function requeueDeliveries(db: Queryable, outbox: Outbox | undefined, deliveryIds: string[]): Promise<number> {
  if (deliveryIds.length === 0) return 0
  const { rows } = await db.query<{ id: string }>(
    `WITH d AS (
       UPDATE webhook_deliveries SET status = 'pending', updated_at = now() WHERE id = ANY ($1::uuid[]) RETURNING id, endpoint_id
     )
     INSERT INTO outbox (kind, payload, user_id, max_attempts)
     SELECT 'webhook', jsonb_build_object('deliveryId', d.id, 'replay', true), e.user_id, $2 FROM d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     RETURNING id`,
    [deliveryIds, WEBHOOK_MAX_ATTEMPTS],
  )
  outbox?.track(rows.map((r) => r.id), 'webhook')
  return rows.length
}
