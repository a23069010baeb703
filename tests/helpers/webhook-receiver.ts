/** A webhook receiver on loopback that verifies every Standard Webhooks signature and records each attempt. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface ReceivedWebhook {
  webhookId: string
  type: string
  verified: boolean
  status: number
  at: number
}

export interface WebhookReceiver {
  url: string
  /** Every attempt, in arrival order (failed ones included). */
  readonly attempts: ReceivedWebhook[]
  /** Attempts answered 2xx with a valid signature, per webhook id. */
  accepted(webhookId: string): number
  /** The endpoint's secret (`whsec_…`), set once the endpoint is registered. */
  secret: string
  /** Answer this status to the next `times` attempts of `webhookId` (default: every webhook). */
  failNext(times: number, webhookId?: string): void
  close(): Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const attempts: ReceivedWebhook[] = []
  let failures = { times: 0, webhookId: undefined as string | undefined }
  const state = { secret: '' }
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const webhookId = String(req.headers['webhook-id'])
      let verified = false
      let type = ''
      try {
        type = (new Webhook(state.secret).verify(body, req.headers as Record<string, string>) as { type: string }).type
        verified = true
      } catch {
        verified = false
      }
      const failing = failures.times > 0 && (failures.webhookId === undefined || failures.webhookId === webhookId)
      if (failing) failures.times--
      const status = !verified ? 400 : failing ? 500 : 204
      attempts.push({ webhookId, type, verified, status, at: Date.now() })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    attempts,
    accepted: (id) => attempts.filter((a) => a.webhookId === id && a.status === 204).length,
    get secret() {
      return state.secret
    },
    set secret(value: string) {
      state.secret = value
    },
    failNext(times, webhookId) {
      failures = { times, webhookId }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
