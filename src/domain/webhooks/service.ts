import { randomBytes, toBase64 } from '../../crypto.js'
import type { Db } from '../../db/types.js'
import { notFound } from '../../errors.js'
import * as repo from './repo.js'
import type { CreateEndpointInput, Endpoint, UpdateEndpointInput } from './schema.js'

/** Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${toBase64(randomBytes(24))}`

export async function createEndpoint(db: Db, userId: string, input: CreateEndpointInput): Promise<Endpoint & { secret: string }> {
  const secret = newWebhookSecret()
  return { ...(await repo.insertEndpoint(db, userId, input, secret)), secret }
}

export async function getEndpoint(db: Db, userId: string, id: string): Promise<Endpoint> {
  const endpoint = await repo.findEndpoint(db, userId, id)
  if (!endpoint) throw notFound('webhook endpoint')
  return endpoint
}

export async function updateEndpoint(db: Db, userId: string, id: string, input: UpdateEndpointInput): Promise<Endpoint> {
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
