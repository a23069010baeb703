import type { Queryable } from '../../db/types.js'
import type { CreateEndpointInput, Delivery, Endpoint, UpdateEndpointInput } from './schema.js'

const columns = `id, url, description, event_types AS "eventTypes", enabled, disabled_reason AS "disabledReason",
  to_json(created_at)#>>'{}' AS "createdAt", to_json(updated_at)#>>'{}' AS "updatedAt"`

export async function insertEndpoint(db: Queryable, userId: string, input: CreateEndpointInput, secret: string): Promise<Endpoint> {
  const { rows } = await db.query<Endpoint>(
    `INSERT INTO webhook_endpoints (user_id, url, description, event_types, secret, enabled)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
    [userId, input.url, input.description ?? null, input.eventTypes, secret, input.enabled],
  )
  return rows[0]!
}

export async function findEndpoint(db: Queryable, userId: string, id: string): Promise<Endpoint | undefined> {
  const { rows } = await db.query<Endpoint>(`SELECT ${columns} FROM webhook_endpoints WHERE id = $1 AND user_id = $2`, [id, userId])
  return rows[0]
}

export async function listEndpoints(db: Queryable, userId: string, keysetWhere: string, params: unknown[], limit: number): Promise<Endpoint[]> {
  const { rows } = await db.query<Endpoint>(
    `SELECT ${columns} FROM webhook_endpoints WHERE user_id = $1 AND ${keysetWhere} ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit + 1, ...params],
  )
  return rows
}

/** Re-enabling an endpoint clears why it was disabled. */
export async function updateEndpoint(db: Queryable, userId: string, id: string, input: UpdateEndpointInput): Promise<Endpoint | undefined> {
  const has = (key: keyof UpdateEndpointInput) => key in input
  const { rows } = await db.query<Endpoint>(
    `UPDATE webhook_endpoints SET
       url             = CASE WHEN $3 THEN $4 ELSE url END,
       event_types     = CASE WHEN $5 THEN $6::text[] ELSE event_types END,
       description     = CASE WHEN $7 THEN $8 ELSE description END,
       enabled         = coalesce($9, enabled),
       disabled_reason = CASE WHEN $9 THEN NULL ELSE disabled_reason END,
       updated_at      = now()
     WHERE id = $1 AND user_id = $2
     RETURNING ${columns}`,
    [id, userId, has('url'), input.url ?? null, has('eventTypes'), input.eventTypes ?? null, has('description'), input.description ?? null, input.enabled ?? null],
  )
  return rows[0]
}

export async function deleteEndpoint(db: Queryable, userId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2`, [id, userId])
  return (rowCount ?? 0) > 0
}

/** Recent deliveries of an endpoint, only if the endpoint is the user's (one statement). */
export async function listDeliveries(
  db: Queryable,
  userId: string,
  endpointId: string,
  keysetWhere: string,
  params: unknown[],
  limit: number,
): Promise<Delivery[]> {
  const { rows } = await db.query<Delivery>(
    `SELECT d.id, d.event_type AS "eventType", d.status, d.attempts, d.response_status AS "responseStatus", d.last_error AS "lastError",
       to_json(d.created_at)#>>'{}' AS "createdAt", to_json(d.updated_at)#>>'{}' AS "updatedAt"
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE d.endpoint_id = $1 AND e.user_id = $2 AND ${keysetWhere}
     ORDER BY d.created_at DESC, d.id DESC LIMIT $3`,
    [endpointId, userId, limit + 1, ...params],
  )
  return rows
}

/** The most recently disabled endpoints (all users), with how many are disabled in all: for the ops dashboard. */
export async function recentlyDisabledEndpoints(db: Queryable, limit = 10): Promise<{ total: number; recent: { url: string; reason: string | null; since: string }[] }> {
  const { rows } = await db.query<{ url: string; reason: string | null; since: string; total: number }>(
    `SELECT url, disabled_reason AS reason, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS since, count(*) OVER ()::int AS total
     FROM webhook_endpoints WHERE NOT enabled ORDER BY updated_at DESC LIMIT $1`,
    [limit],
  )
  return { total: rows[0]?.total ?? 0, recent: rows.map(({ total: _, ...r }) => r) }
}
