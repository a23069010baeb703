/** The Worker publishes outbox ids to SQS after the response (ctx.waitUntil), from inside workerd. */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, uniqueAppName, type TestDatabase } from './helpers/db.js'
import { startLocalSqs, type LocalSqs } from './helpers/fauxqs.js'
import { seedUser } from './helpers/users.js'
import { startWorker } from './helpers/worker.js'

let db: TestDatabase
let sqs: LocalSqs
let mf: Miniflare

beforeAll(async () => {
  db = await freshDatabase()
  sqs = await startLocalSqs()
  mf = await startWorker({
    DATABASE_URL: db.url,
    DB_APPLICATION_NAME: uniqueAppName('worker-queue'),
    SQS_QUEUE_URL: sqs.queueUrl,
    SQS_ENDPOINT: sqs.endpoint,
    // Workers have no AWS credential chain: the keys are secrets.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    WEBHOOK_ALLOW_HOSTS: 'hooks.example.com',
  })
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
  await sqs?.stop()
  await db?.drop()
})

describe('Worker → SQS', () => {
  it('publishes the outbox id of a webhook test event to the queue', async () => {
    const u = await seedUser(db.observer)
    const created = await mf.dispatchFetch('http://localhost/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...u.auth },
      body: JSON.stringify({ url: 'https://hooks.example.com/in', eventTypes: ['email.sent'] }),
    })
    const { id } = (await created.json()) as { id: string }
    const res = await mf.dispatchFetch(`http://localhost/v1/webhooks/${id}/test`, { method: 'POST', headers: u.auth })
    expect(res.status).toBe(202)
    const received = await sqs.sqs.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }))
    const bodies = (received.Messages ?? []).map((m) => JSON.parse(m.Body!) as { id: string; kind: string })
    const { rows } = await db.observer.query(`SELECT id FROM outbox WHERE kind = 'webhook'`)
    expect(bodies).toEqual([{ id: rows[0].id, kind: 'webhook' }])
  }, 30_000)
})
