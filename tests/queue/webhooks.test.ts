/** Webhook delivery through the outbox and /queue/deliver, to a local receiver that verifies signatures. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publicOnlyFetch } from '../../functions/public-fetch.js'
import { refusedDestination } from '../../src/domain/webhooks/destination.js'
import { emitEvents } from '../../src/domain/webhooks/events.js'
import { signRequest } from '../../src/http/signing.js'
import { call, json, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { taskApp } from '../helpers/tasks.js'
import { TEST_SIGNING_SECRET } from '../helpers/tasks.js'
import { seedUser, type SeededUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
let receiver: http.Server
let receiverUrl: string
let receiverUp = true
const received: { id: string; type: string; verified: boolean }[] = []
const secrets = new Map<string, string>() // path → secret

beforeAll(async () => {
  db = await freshDatabase()
  receiver = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (!receiverUp) return void res.writeHead(503).end()
      let verified = false
      try {
        new Webhook(secrets.get(req.url!)!).verify(body, req.headers as Record<string, string>)
        verified = true
      } catch {
        verified = false
      }
      received.push({ id: String(req.headers['webhook-id']), type: JSON.parse(body).type, verified })
      res.writeHead(verified ? 204 : 400).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
  t = taskApp(db.url, { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' })
})
afterAll(async () => {
  await t.close()
  receiver.closeAllConnections()
  receiver.close()
  await db.drop()
})

async function endpoint(u: SeededUser, path: string, eventTypes: string[]): Promise<string> {
  const res = await call(t, '/v1/webhooks', json({ url: `${receiverUrl}${path}`, eventTypes }, u.auth))
  expect(res.status).toBe(201)
  secrets.set(path, res.body.secret)
  return res.body.id
}

/** One signed POST /queue/deliver, as the SQS consumer sends it. */
async function deliver(outboxId: string): Promise<any> {
  const body = JSON.stringify({ id: outboxId })
  const res = await t.app.request('/queue/deliver', { method: 'POST', headers: { 'content-type': 'application/json', ...signRequest(TEST_SIGNING_SECRET, { method: 'POST', path: '/queue/deliver', body }) }, body })
  expect(res.status).toBe(200)
  return res.json()
}
const outboxFor = async (deliveryId: string) =>
  (await db.observer.query<{ id: string }>(`SELECT id FROM outbox WHERE payload->>'deliveryId' = $1 ORDER BY created_at DESC LIMIT 1`, [deliveryId])).rows[0]!.id
const delivery = async (id: string) => (await db.observer.query(`SELECT status, attempts, response_status, last_error FROM webhook_deliveries WHERE id = $1`, [id])).rows[0]
const emit = async (u: SeededUser, type: string) => {
  const client = db.observer
  return emitEvents(client, undefined, [{ userId: u.id, type: type as 'email.sent', data: { hello: 'world' } }])
}

describe('webhook delivery', () => {
  it('fans an event out to subscribed endpoints only, signed, and a re-delivered message arrives once', async () => {
    const u = await seedUser(db.observer)
    await endpoint(u, '/a', ['email.sent'])
    await endpoint(u, '/b', ['campaign.completed'])
    const [id, ...rest] = await emit(u, 'email.sent')
    expect(rest).toEqual([])
    const outboxId = await outboxFor(id!)
    const answers = [await deliver(outboxId), await deliver(outboxId), await deliver(outboxId)]
    expect(answers.map((a) => a.result)).toEqual(['done', 'duplicate', 'duplicate'])
    const got = received.filter((r) => r.id === `msg_${id!.replace(/-/g, '')}`)
    expect(got).toEqual([{ id: expect.any(String), type: 'email.sent', verified: true }])
    expect(await delivery(id!)).toMatchObject({ status: 'succeeded', attempts: 1, response_status: 204 })
  })

  it('retries on the Svix schedule while the receiver is down, handing waits over 15 min back to the row', async () => {
    const u = await seedUser(db.observer)
    await endpoint(u, '/down', ['email.failed'])
    const [id] = await emit(u, 'email.failed')
    const outboxId = await outboxFor(id!)
    receiverUp = false
    const waits: (number | string)[] = []
    for (let i = 0; i < 4; i++) {
      const a = await deliver(outboxId)
      waits.push(a.result === 'retry' ? a.retryAfterS : Math.round((Date.parse(a.nextAttemptAt) - Date.now()) / 60_000) + ' min')
    }
    expect(waits).toEqual([5, 300, '30 min', '120 min'])
    expect(await delivery(id!)).toMatchObject({ status: 'failed', attempts: 4, response_status: 503 })
    receiverUp = true
    expect((await deliver(outboxId)).result).toBe('done')
    expect(await delivery(id!)).toMatchObject({ status: 'succeeded', attempts: 5 })
  })

  it('disables an endpoint failing for 5 days, tells the owner, and replay re-delivers with the same webhook-id', async () => {
    const u = await seedUser(db.observer)
    const failing = await endpoint(u, '/failing', ['email.sent'])
    await endpoint(u, '/watch', ['webhook.disabled'])
    await db.observer.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1`, [failing])
    const [id] = await emit(u, 'email.sent')
    receiverUp = false
    expect((await deliver(await outboxFor(id!))).result).toBe('dead')
    receiverUp = true
    const ep = await call(t, `/v1/webhooks/${failing}`, { headers: u.auth })
    expect(ep.body).toMatchObject({ enabled: false, disabledReason: 'failing for 5 days' })
    // The owner's other endpoint gets webhook.disabled; the owner gets an email.
    const notice = await db.observer.query(`SELECT d.id FROM webhook_deliveries d WHERE d.event_type = 'webhook.disabled' AND d.payload->'data'->>'endpointId' = $1`, [failing])
    expect(await deliver(await outboxFor(notice.rows[0].id))).toMatchObject({ result: 'done' })
    expect(received.some((r) => r.type === 'webhook.disabled' && r.verified)).toBe(true)
    expect((await db.observer.query(`SELECT count(*)::int AS n FROM sent_emails WHERE to_email = $1 AND subject LIKE '%disabled%'`, [u.email])).rows[0].n).toBe(1)

    // Re-enabled and replayed: delivered, under the original webhook-id.
    await call(t, `/v1/webhooks/${failing}`, json({ enabled: true }, u.auth, 'PATCH'))
    expect((await call(t, `/v1/webhooks/deliveries/${id}/replay`, { method: 'POST', headers: u.auth })).status).toBe(202)
    expect((await deliver(await outboxFor(id!))).result).toBe('done')
    expect(received.filter((r) => r.id === `msg_${id!.replace(/-/g, '')}`)).toHaveLength(1)
    expect(await delivery(id!)).toMatchObject({ status: 'succeeded' })
  })

  it('replays every failed delivery since a time; another user’s delivery is a 404', async () => {
    const u = await seedUser(db.observer)
    const other = await seedUser(db.observer)
    const ep = await endpoint(u, '/replay-all', ['email.sent'])
    receiverUp = false
    const ids = [...(await emit(u, 'email.sent')), ...(await emit(u, 'email.sent'))]
    for (const id of ids) await deliver(await outboxFor(id))
    receiverUp = true
    const res = await call(t, `/v1/webhooks/${ep}/replay`, json({ since: new Date(Date.now() - 60_000).toISOString() }, u.auth))
    expect(res).toMatchObject({ status: 202, body: { replayed: 2 } })
    for (const id of ids) expect((await deliver(await outboxFor(id))).result).toBe('done')
    expect((await call(t, `/v1/webhooks/deliveries/${ids[0]}/replay`, { method: 'POST', headers: other.auth })).status).toBe(404)
    expect((await call(t, `/v1/webhooks/${ep}/replay`, json({ since: 'yesterday' }, u.auth))).status).toBe(400)
    expect((await call(t, `/v1/webhooks/${ep}/nope`, { method: 'POST', headers: u.auth })).status).toBe(404)
  })

  it('sends a webhook.test event through the same path', async () => {
    const u = await seedUser(db.observer)
    const ep = await endpoint(u, '/test', ['campaign.completed'])
    const res = await call(t, `/v1/webhooks/${ep}/test`, { method: 'POST', headers: u.auth })
    expect(res.status).toBe(202)
    expect((await deliver(await outboxFor(res.body.deliveryId))).result).toBe('done')
    expect(received.at(-1)).toMatchObject({ type: 'webhook.test', verified: true })
  })
})

describe('webhook destinations (SSRF)', () => {
  it.each([
    'http://10.0.0.7/hook', 'http://169.254.169.254/latest/meta-data', 'http://127.0.0.2:8080/', 'http://[::1]/x', 'http://[fd00:ec2::254]/',
    'http://[::ffff:192.168.1.1]/', 'http://100.64.0.1/', 'http://localhost:3000/', 'http://metadata.google.internal/', 'http://0.0.0.0/',
    // IPv6 forms that embed a private IPv4 address, and IPv6 ranges that are not public unicast.
    'http://[::127.0.0.1]/', 'http://[::7f00:1]/', 'http://[::a9fe:a9fe]/', 'http://[::ffff:0:127.0.0.1]/', 'http://[2002:7f00:1::1]/',
    'http://[2002:a9fe:a9fe::1]/', 'http://[fec0::1]/', 'http://[100::1]/',
    // IPv4 spelled the other ways the URL parser accepts (loopback itself is allow-listed here, for the receiver).
    'http://167772161/', 'http://0xa9fea9fe/', 'http://0251.0376.0251.0376/', 'http://10.1/', 'http://0xa9.0xfe.0xa9.0xfe/',
  ])('refuses %s at registration', async (url) => {
    const u = await seedUser(db.observer)
    const res = await call(t, '/v1/webhooks', json({ url, eventTypes: ['email.sent'] }, u.auth))
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'url_not_allowed' } } })
  })

  it('checks what a host name resolves to, and accepts public addresses', async () => {
    const resolve = async (host: string) => ({ 'rebind.example': ['203.0.113.10', '10.1.2.3'], 'public.example': ['93.184.215.14'] })[host] ?? []
    expect(await refusedDestination('https://rebind.example/x', { allowHosts: [], resolve })).toMatch(/resolves to 203\.0\.113\.10|10\.1\.2\.3/)
    expect(await refusedDestination('https://public.example/x', { allowHosts: [], resolve })).toBeUndefined()
    expect(await refusedDestination('https://8.8.8.8/x', { allowHosts: [] })).toBeUndefined()
  })

  it('refuses at delivery time a URL that became private, and the connection itself refuses private addresses', async () => {
    const u = await seedUser(db.observer)
    const ep = await endpoint(u, '/moved', ['email.sent'])
    await db.observer.query(`UPDATE webhook_endpoints SET url = 'http://10.9.8.7/hook' WHERE id = $1`, [ep])
    const [id] = await emit(u, 'email.sent')
    expect((await deliver(await outboxFor(id!))).result).toBe('dead')
    expect((await delivery(id!)).last_error).toMatch(/destination refused: 10\.9\.8\.7 is not a public address/)
    // DNS rebinding: a name checked earlier may point somewhere else by the time of the request.
    const port = (receiver.address() as AddressInfo).port
    await expect(publicOnlyFetch([])(`http://localhost:${port}/x`, { method: 'POST' })).rejects.toThrow()
    const allowed = await publicOnlyFetch(['localhost'])(`http://localhost:${port}/x`, { method: 'POST', body: '{"type":"x"}' })
    expect(allowed.status).toBe(400) // reached the receiver (unsigned, so it refused)
  })

  it('answers bad /queue/deliver bodies with a 4xx and changes nothing; a dead letter records its row dead once', async () => {
    const u = await seedUser(db.observer)
    await call(t, '/v1/webhooks', json({ url: `${receiverUrl}/dlq`, eventTypes: ['email.sent'] }, u.auth))
    const [deliveryId] = await emit(u, 'email.sent')
    const id = await outboxFor(deliveryId!)
    const post = (body: string, sign = true) =>
      t.app.request('/queue/deliver', { method: 'POST', headers: { 'content-type': 'application/json', ...(sign ? signRequest(TEST_SIGNING_SECRET, { method: 'POST', path: '/queue/deliver', body }) : {}) }, body })
    for (const body of [JSON.stringify({ id, deadLetter: false }), JSON.stringify({ id, deadLetter: 'yes' }), JSON.stringify({ id, extra: 1 }), JSON.stringify({ id: 'not-a-uuid' }), '{"id"']) {
      const res = await post(body)
      expect([body, res.status]).toEqual([body, 400])
    }
    expect((await post(JSON.stringify({ id, deadLetter: true }), false)).status).toBe(401)
    expect((await db.observer.query(`SELECT status, attempts FROM outbox WHERE id = $1`, [id])).rows[0]).toEqual({ status: 'pending', attempts: 0 })
    const dead = await post(JSON.stringify({ id, deadLetter: true }))
    expect(await dead.json()).toEqual({ result: 'dead' })
    expect(await (await post(JSON.stringify({ id, deadLetter: true }))).json()).toEqual({ result: 'dead' })
    expect((await db.observer.query(`SELECT status, last_error FROM outbox WHERE id = $1`, [id])).rows[0]).toEqual({ status: 'dead', last_error: 'the queue gave up on its message (dead-letter queue)' })
  })
})
