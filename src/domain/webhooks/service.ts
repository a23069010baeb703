import { randomBytes, toBase64 } from '../../crypto.js'
import type { Db } from '../../db/types.js'
import { AppError, notFound } from '../../errors.js'
import type { Outbox } from '../../queue/outbox.js'
import { refusedDestination, type DestinationPolicy } from './destination.js'
import { emitEvents, requeueDeliveries } from './events.js'
import * as repo from './repo.js'
import { adminEventTypes, type CreateEndpointInput, type Endpoint, type UpdateEndpointInput } from './schema.js'

/** Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${toBase64(randomBytes(24))}`

/** 400 naming `url` when it may not receive webhooks (private, loopback, metadata…). */
export async function checkUrl(url: string, policy: DestinationPolicy): Promise<void> {
  const refused = await refusedDestination(url, policy)
  if (refused) throw new AppError(400, 'url_not_allowed', `webhooks cannot be sent there: ${refused}`, [{ path: 'url', message: refused }])
}

/** 403 for a non-admin asking for the events only admins get (the schedules' health). */
function checkEventTypes(eventTypes: readonly string[] | undefined, role: string): void {
  const adminOnly = (eventTypes ?? []).filter((t) => (adminEventTypes as readonly string[]).includes(t))
  if (adminOnly.length && role !== 'admin') throw new AppError(403, 'forbidden', `${adminOnly.join(', ')} ${adminOnly.length === 1 ? 'is' : 'are'} sent to admins' endpoints only`, adminOnly.map((t) => ({ path: 'eventTypes', message: `${t}: admins only` })))
}

export async function createEndpoint(db: Db, user: { id: string; role: string }, input: CreateEndpointInput, policy: DestinationPolicy): Promise<Endpoint & { secret: string }> {
  checkEventTypes(input.eventTypes, user.role)
  const userId = user.id
  await checkUrl(input.url, policy)
  const secret = newWebhookSecret()
  return { ...(await repo.insertEndpoint(db, userId, input, secret)), secret }
}

export async function getEndpoint(db: Db, userId: string, id: string): Promise<Endpoint> {
  const endpoint = await repo.findEndpoint(db, userId, id)
  if (!endpoint) throw notFound('webhook endpoint')
  return endpoint
}

export async function updateEndpoint(db: Db, user: { id: string; role: string }, id: string, input: UpdateEndpointInput, policy: DestinationPolicy): Promise<Endpoint> {
  checkEventTypes(input.eventTypes, user.role)
  const userId = user.id
  if (input.url) await checkUrl(input.url, policy)
  const endpoint = await repo.updateEndpoint(db, userId, id, input)
  if (!endpoint) throw notFound('webhook endpoint')
  return endpoint
}

export async function deleteEndpoint(db: Db, userId: string, id: string): Promise<void> {
  if (!(await repo.deleteEndpoint(db, userId, id))) throw notFound('webhook endpoint')
}

/** A page of deliveries; an endpoint that is not the user's is a 404 (checked only on an empty page). */
export async function listDeliveries(db: Db, userId: string, endpointId: string, keysetWhere: string, params: unknown[], limit: number) {
  const rows = await repo.listDeliveries(db, userId, endpointId, keysetWhere, params, limit)
  if (rows.length === 0) await getEndpoint(db, userId, endpointId)
  return rows
}

/** A `webhook.test` event to this endpoint only, through the same outbox, queue, signing and retries. */
export async function sendTestEvent(db: Db, outbox: Outbox, userId: string, id: string): Promise<string> {
  await getEndpoint(db, userId, id)
  const [deliveryId] = await emitEvents(db, outbox, [{ userId, type: 'webhook.test', data: { endpointId: id, message: 'This is a test event from lowtide.' } }], id)
  return deliveryId!
}

export async function replayDelivery(db: Db, outbox: Outbox, userId: string, deliveryId: string): Promise<void> {
  const { rows } = await db.query(
    `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1 AND e.user_id = $2`,
    [deliveryId, userId],
  )
  if (!rows[0]) throw notFound('delivery')
  await requeueDeliveries(db, outbox, [deliveryId])
}

/** Every failed or dead delivery of the endpoint since `since`, at most 1 000 per call. */
export async function replayFailedSince(db: Db, outbox: Outbox, userId: string, endpointId: string, since: string): Promise<number> {
  await getEndpoint(db, userId, endpointId)
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND status IN ('failed', 'dead') AND created_at >= $2 ORDER BY created_at LIMIT 1000`,
    [endpointId, since],
  )
  return requeueDeliveries(db, outbox, rows.map((r) => r.id))
}
