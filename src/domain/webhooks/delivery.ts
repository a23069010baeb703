/**
 * The outbox kind `webhook`: one attempt at one delivery. Signed with the endpoint's `whsec_`
 * secret through `standardwebhooks` (`webhook-id` stays the same across retries and replays, so
 * receivers can deduplicate), 15 s timeout, destination re-checked. Outcomes:
 * 2xx → succeeded; otherwise retried on the Svix schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h),
 * then dead. An endpoint failing for `WEBHOOK_DISABLE_AFTER_S` (5 days) is disabled and its owner
 * told: a `webhook.disabled` event to their other endpoints and an email.
 */
import { Webhook } from 'standardwebhooks'
import type { Config } from '../../config.js'
import type { Db } from '../../db/types.js'
import { PermanentFailure, RetryLater, type OutboxHandler } from '../../queue/deliver.js'
import type { Outbox } from '../../queue/outbox.js'
import type { EmailTransport } from '../emails/transport.js'
import { refusedDestination, type DestinationPolicy } from './destination.js'
import { emitEvents, WEBHOOK_RETRY_DELAYS_S } from './events.js'

export interface WebhookDeliveryDeps {
  config: Pick<Config, 'webhooks' | 'email'>
  fetch: typeof fetch
  resolveHost?: (host: string) => Promise<string[]>
  email: EmailTransport
}

interface DeliveryRow {
  id: string
  payload: Record<string, unknown>
  attempts: number
  endpointId: string
  userId: string
  url: string
  secret: string
  enabled: boolean
  ownerEmail: string
}

export function webhookHandler(deps: WebhookDeliveryDeps): OutboxHandler {
  const policy: DestinationPolicy = { allowHosts: deps.config.webhooks.allowHosts, resolve: deps.resolveHost }
  return async (row, db, outbox) => {
    const deliveryId = String(row.payload.deliveryId)
    const { rows } = await db.query<DeliveryRow>(
      `SELECT d.id, d.payload, d.attempts, e.id AS "endpointId", e.user_id AS "userId", e.url, e.secret, e.enabled, u.email AS "ownerEmail"
       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN users u ON u.id = e.user_id
       WHERE d.id = $1`,
      [deliveryId],
    )
    const delivery = rows[0]
    if (!delivery) return // the endpoint was deleted, and its deliveries with it
    if (!delivery.enabled && delivery.payload.type !== 'webhook.test') {
      await record(db, delivery.id, 'dead', null, 'endpoint disabled')
      return
    }
    const refused = await refusedDestination(delivery.url, policy)
    if (refused) {
      await record(db, delivery.id, 'dead', null, `destination refused: ${refused}`)
      throw new PermanentFailure(`destination refused: ${refused}`)
    }

    const outcome = await attempt(delivery, deps)
    if (outcome.ok) {
      await record(db, delivery.id, 'succeeded', outcome.status, null)
      await db.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [delivery.endpointId])
      return
    }
    const lastAttempt = row.attempts >= row.maxAttempts
    await record(db, delivery.id, lastAttempt ? 'dead' : 'failed', outcome.status, outcome.error)
    const { rows: ep } = await db.query<{ disable: boolean }>(
      `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now())
       WHERE id = $1 RETURNING failing_since <= now() - make_interval(secs => $2) AS disable`,
      [delivery.endpointId, deps.config.webhooks.disableAfterS],
    )
    if (ep[0]?.disable) {
      await disableEndpoint(db, delivery, deps, outbox)
      throw new PermanentFailure(`endpoint failing for over ${deps.config.webhooks.disableAfterS} s: disabled (${outcome.error})`)
    }
    if (lastAttempt) throw new PermanentFailure(outcome.error)
    throw new RetryLater(outcome.error, WEBHOOK_RETRY_DELAYS_S[Math.min(row.attempts - 1, WEBHOOK_RETRY_DELAYS_S.length - 1)]!)
  }
}

async function attempt(delivery: DeliveryRow, deps: WebhookDeliveryDeps): Promise<{ ok: true; status: number } | { ok: false; status: number | null; error: string }> {
  const body = JSON.stringify(delivery.payload)
  const msgId = `msg_${delivery.id.replace(/-/g, '')}`
  const now = new Date()
  const signature = new Webhook(delivery.secret).sign(msgId, now, body)
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), deps.config.webhooks.timeoutMs)
  try {
    const res = await deps.fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'lowtide-webhooks/1',
        'webhook-id': msgId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      signal: controller.signal,
      redirect: 'manual',
    })
    await res.body?.cancel().catch(() => undefined)
    return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `endpoint answered ${res.status}` }
  } catch (err) {
    const error = controller.signal.aborted ? `no answer within ${deps.config.webhooks.timeoutMs} ms` : `unreachable: ${(err as Error).message}`
    return { ok: false, status: null, error }
  } finally {
    clearTimeout(timer)
  }
}

async function record(db: Db, id: string, status: 'succeeded' | 'failed' | 'dead', responseStatus: number | null, error: string | null): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_status = $3, last_error = $4, updated_at = now(),
       delivered_at = CASE WHEN $2 = 'succeeded' THEN now() ELSE delivered_at END
     WHERE id = $1`,
    [id, status, responseStatus, error],
  )
}

async function disableEndpoint(db: Db, delivery: DeliveryRow, deps: WebhookDeliveryDeps, outbox: Outbox): Promise<void> {
  const { rowCount } = await db.query(
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing for 5 days', updated_at = now() WHERE id = $1 AND enabled`,
    [delivery.endpointId],
  )
  if (!rowCount) return
  await emitEvents(db, outbox, [{ userId: delivery.userId, type: 'webhook.disabled', data: { endpointId: delivery.endpointId, url: delivery.url } }])
  await deps.email.send(db, {
    kind: 'notice',
    to: delivery.ownerEmail,
    from: deps.config.email.from,
    subject: 'A webhook endpoint was disabled',
    body: `Deliveries to ${delivery.url} have failed for 5 days, so the endpoint was disabled.\nRe-enable it with PATCH /v1/webhooks/${delivery.endpointId} {"enabled": true}.\n`,
    userId: delivery.userId,
  })
}
