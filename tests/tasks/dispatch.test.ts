import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { schedules } from '../../cron/schedules.js'
import { dbTransport, type EmailTransport } from '../../src/domain/emails/transport.js'
import { type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { minuteOccurrences, runTask, taskApp } from '../helpers/tasks.js'
import { seedUser, type SeededUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
// Each run its own occurrence of the every-minute task.
const nextMinute = minuteOccurrences()
beforeAll(async () => {
  db = await freshDatabase()
  t = taskApp(db.url)
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

/** A running campaign of `n` contacts, due now; returns its id. */
async function runningCampaign(u: SeededUser, n: number, options: { followUpMinutes?: number; onlyIfNoReply?: boolean } = {}): Promise<string> {
  const { rows } = await db.observer.query<{ id: string }>(
    `WITH c AS (
       INSERT INTO campaigns (user_id, name, from_email, from_name, subject_template, body_template, status, start_at, started_at)
       VALUES ($1, 'T', 'me@example.com', 'Me', 'Hi {{firstName|there}}', 'Hello {{firstName}} at {{company|your company}}', 'running', now(), now())
       RETURNING id
     ), s AS (
       INSERT INTO campaign_steps (campaign_id, position, delay_seconds, only_if_no_reply)
       SELECT id, 1, 0, false FROM c
       UNION ALL SELECT id, 2, $3::int * 60, $4 FROM c WHERE $3::int IS NOT NULL
     ), ct AS (
       INSERT INTO contacts (user_id, email, first_name) SELECT $1, 'r' || g || '-' || gen_random_uuid() || '@example.com', 'N' || g FROM generate_series(1, $2) g RETURNING id
     ), cc AS (
       INSERT INTO campaign_contacts (campaign_id, contact_id) SELECT c.id, ct.id FROM c, ct
     ), e AS (
       INSERT INTO scheduled_emails (campaign_id, step_position, contact_id, user_id, send_at) SELECT c.id, 1, ct.id, $1, now() - interval '1 second' FROM c, ct
     )
     SELECT id FROM c`,
    [u.id, n, options.followUpMinutes ?? null, options.onlyIfNoReply ?? true],
  )
  return rows[0]!.id
}

const emailStats = async (campaignId: string) =>
  Object.fromEntries(
    (await db.observer.query(`SELECT status, count(*)::int AS n FROM scheduled_emails WHERE campaign_id = $1 GROUP BY status`, [campaignId])).rows.map((r) => [r.status, r.n]),
  )
const campaignOf = async (id: string) => (await db.observer.query(`SELECT status, status_reason FROM campaigns WHERE id = $1`, [id])).rows[0]
const balanceOf = async (u: SeededUser) => (await db.observer.query(`SELECT credit_balance::int AS b FROM users WHERE id = $1`, [u.id])).rows[0].b

describe('campaign-dispatch', () => {
  it('sends due emails rendered, skips unsubscribed contacts, charges one credit each, and schedules follow-ups', async () => {
    const u = await seedUser(db.observer, { credits: 10 })
    const id = await runningCampaign(u, 3, { followUpMinutes: 60 })
    await db.observer.query(
      `UPDATE contacts SET unsubscribed_at = now() WHERE id = (SELECT contact_id FROM scheduled_emails WHERE campaign_id = $1 ORDER BY id LIMIT 1)`,
      [id],
    )
    const res = await runTask(t, 'campaign-dispatch', nextMinute())
    expect(res.body).toMatchObject({ status: 'succeeded', processed: 3, more: false })
    expect(await emailStats(id)).toEqual({ sent: 2, skipped: 1, pending: 2 }) // 2 follow-ups, due in an hour
    expect(await balanceOf(u)).toBe(8)
    const sent = await db.observer.query(`SELECT subject, body, from_email FROM sent_emails WHERE user_id = $1 AND kind = 'campaign' ORDER BY id`, [u.id])
    expect(sent.rows[0]).toMatchObject({ subject: expect.stringMatching(/^Hi N\d$/), body: expect.stringMatching(/^Hello N\d at your company$/), from_email: 'Me <me@example.com>' })
    const ledger = await db.observer.query(`SELECT count(*)::int AS n FROM credit_transactions WHERE user_id = $1 AND kind = 'consume' AND reference LIKE 'scheduled_email:%'`, [u.id])
    expect(ledger.rows[0].n).toBe(2)
    expect((await campaignOf(id)).status).toBe('running')
  })

  it('skips follow-ups to contacts who replied, then completes the campaign', async () => {
    const u = await seedUser(db.observer, { credits: 10 })
    const id = await runningCampaign(u, 2, { followUpMinutes: 1 })
    await runTask(t, 'campaign-dispatch', nextMinute())
    // One contact answers; the follow-ups come due.
    await db.observer.query(`UPDATE contacts SET replied_at = now() WHERE id = (SELECT contact_id FROM scheduled_emails WHERE campaign_id = $1 AND step_position = 2 ORDER BY id LIMIT 1)`, [id])
    await db.observer.query(`UPDATE scheduled_emails SET send_at = now() - interval '1 second' WHERE campaign_id = $1 AND step_position = 2`, [id])
    const res = await runTask(t, 'campaign-dispatch', nextMinute())
    expect(res.body.result.completed).toContain(id)
    expect(await emailStats(id)).toEqual({ sent: 3, skipped: 1 })
    expect((await campaignOf(id)).status).toBe('completed')
  })

  it('pauses a campaign whose user runs out of credits, sending nothing without a credit', async () => {
    const u = await seedUser(db.observer, { credits: 5 })
    const id = await runningCampaign(u, 8)
    const res = await runTask(t, 'campaign-dispatch', nextMinute())
    expect(res.body.result.paused).toEqual([id])
    expect(await emailStats(id)).toEqual({ sent: 5, pending: 3 })
    expect(await campaignOf(id)).toEqual({ status: 'paused', status_reason: 'insufficient_credits' })
    expect(await balanceOf(u)).toBe(0)
    const sent = await db.observer.query(`SELECT count(*)::int AS n FROM sent_emails WHERE user_id = $1`, [u.id])
    expect(sent.rows[0].n).toBe(5)
    // Paused campaigns are left alone.
    await runTask(t, 'campaign-dispatch', nextMinute())
    expect(await emailStats(id)).toEqual({ sent: 5, pending: 3 })
  })
})

describe('campaign-dispatch under a budget and under crashes', () => {
  it('sends 10 000 due emails with a 1 s budget in several runs (more: true), exactly once each, credits exact', async () => {
    const small = taskApp(db.url, { TASK_BUDGET_MS: '1000', DISPATCH_BATCH_SIZE: '500' })
    const u = await seedUser(db.observer, { credits: 20_000 })
    const id = await runningCampaign(u, 10_000)
    const runs: { more: boolean; processed: number }[] = []
    const base = Date.now() + 10_000
    for (let i = 0; i < 200; i++) {
      const res = await runTask(small, 'campaign-dispatch', nextMinute())
      expect(res.status).toBe(200)
      runs.push({ more: res.body.more, processed: res.body.processed })
      if (!res.body.more) break
    }
    console.log(`[dispatch] 10 000 emails, 1 s budget: ${runs.length} runs, processed per run ${runs.map((r) => r.processed).join(', ')}`)
    expect(runs.length).toBeGreaterThan(1)
    expect(runs.slice(0, -1).every((r) => r.more)).toBe(true)
    expect(await emailStats(id)).toEqual({ sent: 10_000 })
    const sent = await db.observer.query(`SELECT count(*)::int AS n, count(DISTINCT scheduled_email_id)::int AS d FROM sent_emails WHERE user_id = $1`, [u.id])
    expect(sent.rows[0]).toEqual({ n: 10_000, d: 10_000 })
    expect(await balanceOf(u)).toBe(10_000)
    await small.close()
  }, 120_000)

  it('keeps the per-user rate across batches, and answers more: true when the budget paces out part of a short batch', async () => {
    // 5 sends a second and a 1 s budget: 8 due emails cannot all go in one run. Batches of 3, so a
    // run spans batches, and a new batch must not start sending at once just because it is new.
    const paced = taskApp(db.url, { TASK_BUDGET_MS: '1000', DISPATCH_RATE_PER_USER: '5', DISPATCH_BATCH_SIZE: '3' })
    const u = await seedUser(db.observer, { credits: 100 })
    const id = await runningCampaign(u, 8)
    const runs: { processed: number; more: boolean; ms: number }[] = []
    for (let i = 0; i < 8; i++) {
      const started = performance.now()
      const res = await runTask(paced, 'campaign-dispatch', nextMinute())
      expect(res.body.status).toBe('succeeded')
      runs.push({ processed: res.body.processed, more: res.body.more, ms: performance.now() - started })
      if (!res.body.more) break
    }
    // At most 5 in 1 s (slots at 0, 200, … 800 ms), so at least two runs; every run but the last says more.
    expect(runs.length).toBeGreaterThan(1)
    expect(runs.slice(0, -1).every((r) => r.more && r.processed <= 5)).toBe(true)
    expect(runs.at(-1)!.more).toBe(false)
    // n sends at 5 a second take at least (n - 1) × 200 ms, batch boundaries or not.
    for (const r of runs) expect(r.ms).toBeGreaterThanOrEqual((r.processed - 1) * 200 - 5)
    expect(runs.reduce((n, r) => n + r.processed, 0)).toBe(8)
    expect(await emailStats(id)).toEqual({ sent: 8 })
    await paced.close()
  })

  it('survives 20 runs killed mid-batch: every email sent exactly once, every credit charged once', async () => {
    const u = await seedUser(db.observer, { credits: 1000 })
    const id = await runningCampaign(u, 400)
    let sends = 0
    let killAt = -1
    // The database's view of a killed process: its connection dies in the middle of a batch.
    const crashing: EmailTransport = {
      name: 'db',
      async send(tx, message) {
        if (++sends === killAt) await tx.query('SELECT pg_terminate_backend(pg_backend_pid())')
        return dbTransport.send(tx, message)
      },
    }
    const crashy = taskApp(db.url, { DISPATCH_BATCH_SIZE: '25' })
    const app = crashy.withSchedules(schedules, crashing)
    const kills: number[] = []
    for (let i = 0; i < 20; i++) {
      sends = 0
      killAt = 1 + Math.floor(Math.random() * 30)
      const res = await runTask(app, 'campaign-dispatch', nextMinute())
      kills.push(res.status)
      // The dead run's lease is still there until it expires; let it expire.
      await db.observer.query(`UPDATE task_leases SET expires_at = now() WHERE task = 'campaign-dispatch'`)
    }
    // Every run dies (the server ends its connection: 503), each at a random email of its batch.
    expect(kills).toEqual(Array(20).fill(503))
    killAt = -1
    for (let i = 0; i < 20 && (await emailStats(id)).pending; i++) await runTask(app, 'campaign-dispatch', nextMinute())
    expect(await emailStats(id)).toEqual({ sent: 400 })
    const sent = await db.observer.query(`SELECT count(*)::int AS n, count(DISTINCT scheduled_email_id)::int AS d FROM sent_emails WHERE user_id = $1`, [u.id])
    expect(sent.rows[0]).toEqual({ n: 400, d: 400 })
    expect(await balanceOf(u)).toBe(600)
    const consumed = await db.observer.query(`SELECT count(*)::int AS n FROM credit_transactions WHERE user_id = $1 AND kind = 'consume'`, [u.id])
    expect(consumed.rows[0].n).toBe(400)
    await crashy.close()
  }, 120_000)
})
