/** The seed's background services, rebuilt as tasks: notices, reminders, chat-agent sync, cleanup. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, json, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { runTask, taskApp } from '../helpers/tasks.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
let chat: http.Server
let chatUrl: string
const chatReceived: { email: string }[] = []
let chatHealthy = false
beforeAll(async () => {
  db = await freshDatabase()
  chat = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      if (req.url !== '/api/users' || req.headers.authorization !== 'Bearer chat-token') return void res.writeHead(404).end()
      if (!chatHealthy) return void res.writeHead(503).end()
      chatReceived.push(JSON.parse(body))
      res.writeHead(201).end('{}')
    })
  })
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r))
  chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/api`
  t = taskApp(db.url, { CHAT_AGENT_SERVER_URL: chatUrl, CHAT_AGENT_TOKEN: 'chat-token', CHAT_AGENT_SYNC_TIMEOUT_MS: '500' })
})
afterAll(async () => {
  await t.close()
  chat.closeAllConnections()
  chat.close()
  await db.drop()
})

const sentTo = async (email: string, kind: string) =>
  (await db.observer.query(`SELECT count(*)::int AS n FROM sent_emails WHERE to_email = $1 AND kind = $2`, [email, kind])).rows[0].n

describe('low-credit-notices', () => {
  it('sends one notice per user below threshold per day, no more', async () => {
    const low = await seedUser(db.observer, { credits: 3 })
    const fine = await seedUser(db.observer, { credits: 50 })
    const day1 = new Date('2026-03-01T08:00:00Z')
    expect((await runTask(t, 'low-credit-notices', day1)).body.processed).toBeGreaterThanOrEqual(1)
    // The same day again (another occurrence time, a manual run): nothing more.
    await runTask(t, 'low-credit-notices', new Date('2026-03-01T09:30:00Z'))
    expect(await sentTo(low.email, 'notice')).toBe(1)
    expect(await sentTo(fine.email, 'notice')).toBe(0)
    await runTask(t, 'low-credit-notices', new Date('2026-03-02T08:00:00Z'))
    expect(await sentTo(low.email, 'notice')).toBe(2)
  })
})

describe('email-verification-reminders', () => {
  it('reminds an unverified user at most 3 times, spaced, each with a working token', async () => {
    const u = await seedUser(db.observer, { verified: false })
    await db.observer.query(`UPDATE users SET created_at = now() - interval '2 days' WHERE id = $1`, [u.id])
    const remind = async (i: number) => runTask(t, 'email-verification-reminders', new Date(Date.UTC(2026, 3, 1, i * 6)))
    await remind(0)
    await remind(1) // too soon: the spacing is 24 h
    expect(await sentTo(u.email, 'verification-reminder')).toBe(1)
    for (let i = 2; i < 8; i++) {
      await db.observer.query(`UPDATE users SET last_verification_reminder_at = now() - interval '25 hours' WHERE id = $1`, [u.id])
      await remind(i)
    }
    expect(await sentTo(u.email, 'verification-reminder')).toBe(3)
    const { rows } = await db.observer.query(`SELECT body FROM sent_emails WHERE to_email = $1 ORDER BY id DESC LIMIT 1`, [u.email])
    const token = /^\s{2}(\S+)$/m.exec(rows[0].body)![1]!
    expect((await call(t, '/v1/auth/verify-email', json({ token }))).body.user.emailVerified).toBe(true)
  })
})

describe('chat-agent sync', () => {
  it('syncs on registration through the outbox; a failure is retried with backoff until it succeeds', async () => {
    // No queue in this app: the outbox sweep delivers directly.
    const sweep = (at: string) => runTask(t, 'outbox-sweep', new Date(at))
    chatHealthy = true
    await call(t, '/v1/auth/register', json({ email: 'synced@example.com', password: 'long enough password' }))
    await sweep('2026-03-31T00:00:00Z')
    expect(chatReceived.map((r) => r.email)).toContain('synced@example.com')

    chatHealthy = false
    const failed = await call(t, '/v1/auth/register', json({ email: 'later@example.com', password: 'long enough password' }))
    expect(failed.status).toBe(201) // the registration does not depend on the chat agent
    await sweep('2026-03-31T00:01:00Z')
    const state = async () => (await db.observer.query(`SELECT chat_sync_status AS s, chat_sync_attempts AS a FROM users WHERE email = 'later@example.com'`)).rows[0]
    expect(await state()).toEqual({ s: 'failed', a: 1 })
    const row = await db.observer.query(`SELECT status, attempts FROM outbox WHERE kind = 'chat-sync' AND user_id = (SELECT id FROM users WHERE email = 'later@example.com')`)
    expect(row.rows[0]).toEqual({ status: 'pending', attempts: 1 }) // the queue retries it too

    const due = () => db.observer.query(`UPDATE users SET chat_sync_next_at = now() - interval '1 second' WHERE email = 'later@example.com'`)
    await due()
    await runTask(t, 'chat-agent-sync-retry', new Date('2026-04-01T00:00:00Z'))
    expect(await state()).toEqual({ s: 'failed', a: 2 })
    const backoff = await db.observer.query(`SELECT chat_sync_next_at - now() > interval '90 seconds' AS grows FROM users WHERE email = 'later@example.com'`)
    expect(backoff.rows[0].grows).toBe(true)

    chatHealthy = true
    await due()
    const res = await runTask(t, 'chat-agent-sync-retry', new Date('2026-04-01T00:05:00Z'))
    expect(res.body.result.synced).toBeGreaterThanOrEqual(1)
    expect(await state()).toEqual({ s: 'synced', a: 3 })
  })
})

describe('ledger-cleanup', () => {
  it("prunes task runs older than TASK_LEDGER_RETENTION_DAYS but each task's latest, and spent rate-limit windows", async () => {
    const monthly = taskApp(db.url, { TASK_LEDGER_RETENTION_DAYS: '30' })
    await db.observer.query(
      `INSERT INTO task_runs (task, scheduled_at, status, trigger, started_at) VALUES
         ('old', '2020-01-01', 'succeeded', 'cron', now() - interval '41 days'),
         ('old', '2020-01-02', 'succeeded', 'cron', now() - interval '40 days'),
         ('recent', '2026-01-01', 'succeeded', 'cron', now() - interval '1 day')`,
    )
    await db.observer.query(`INSERT INTO rate_limits VALUES ('api:old', now() - interval '3 days', 5), ('api:new', now(), 1)`)
    const res = await runTask(monthly, 'ledger-cleanup', new Date())
    expect(res.body.result).toMatchObject({ taskRuns: 1, rateLimits: 1 })
    // A task that runs less often than the retention keeps its last occurrence: a trigger for it is a duplicate, not a second run.
    const left = await db.observer.query(`SELECT task, scheduled_at::date::text AS day FROM task_runs WHERE task IN ('old', 'recent') ORDER BY task`)
    expect(left.rows).toEqual([{ task: 'old', day: '2020-01-02' }, { task: 'recent', day: '2026-01-01' }])
    await monthly.close()
  })
})

describe('zero timers', () => {
  it('leaves no timer behind after task runs', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    for (const name of ['campaign-dispatch', 'low-credit-notices', 'email-verification-reminders', 'chat-agent-sync-retry', 'ledger-cleanup']) {
      expect((await runTask(t, name, new Date('2026-06-01T00:00:00Z'))).status).toBe(200)
    }
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before)
  })
})
