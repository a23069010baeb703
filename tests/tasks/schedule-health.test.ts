/**
 * Missed-run detection from the ledger: a schedule's status (ok, late, missing, failing) at any
 * moment, its chart of recent occurrences, and incidents raised once — by `/readyz`, by the
 * `outbox-sweep` run, however many notice at once — as a `schedule.missed`/`schedule.failing`
 * webhook event to admins' endpoints and an email to each admin.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { READYZ_SCHEDULES_TTL_MS } from '../../src/ops/routes.js'
import { outboxSweep } from '../../src/tasks/outbox-sweep.js'
import { scheduleHealth, type HealthSchedule } from '../../src/tasks/health.js'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import { call, json, TEST_OPS_TOKEN, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { runTask, taskApp } from '../helpers/tasks.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase

beforeAll(async () => {
  db = await freshDatabase()
})
afterAll(async () => {
  await db.drop()
})

const at = (hhmmss: string) => new Date(`2026-06-01T${hhmmss}Z`)
const run = (task: string, scheduledAt: string, status: string, startedAt = scheduledAt, trigger = 'cron', error: string | null = null) =>
  db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger, started_at, finished_at, error) VALUES ($1, $2, $3, $4, $5, $5, $6)`, [task, at(scheduledAt), status, trigger, at(startedAt), error])
const baseline = (task: string, firstSeen: Date) => db.observer.query(`INSERT INTO schedule_baselines (task, first_seen_at) VALUES ($1, $2) ON CONFLICT (task) DO UPDATE SET first_seen_at = $2`, [task, firstSeen])

describe('a schedule’s status, from the registry and the ledger', () => {
  const every5: HealthSchedule = { name: 'every-five', cron: '*/5 * * * *', health: { graceSeconds: 600, failingAfter: 3 } }
  const health = async (now: string) => (await scheduleHealth(db.observer, [every5], { now: at(now), record: false })).schedules[0]!

  it('is ok before its first occurrence after the baseline, late a minute after one without a run, missing after the grace', async () => {
    await baseline('every-five', at('12:01:00'))
    expect(await health('12:04:00')).toMatchObject({ status: 'ok', nextExpected: at('12:05:00').toISOString() })
    expect(await health('12:05:30')).toMatchObject({ status: 'ok' }) // within a minute: not late yet
    expect(await health('12:06:30')).toMatchObject({ status: 'late', reason: expect.stringMatching(/12:05:00.* has not run yet/) })
    const missing = await health('12:16:00')
    expect(missing).toMatchObject({ status: 'missing', since: at('12:05:00').toISOString(), lastExpected: at('12:15:00').toISOString() })
    expect(missing.reason).toMatch(/nothing triggers it/)
    // 12:05 is past the grace; 12:10 and 12:15 may still arrive.
    expect(missing.recent.map((o) => o.state)).toEqual(['missed', 'pending', 'pending'])
  })

  it('is ok again once runs arrive; charts on time, late, caught-up, failed and skipped occurrences', async () => {
    await run('every-five', '12:05:00', 'succeeded', '12:05:02')
    await run('every-five', '12:10:00', 'succeeded', '12:13:00') // started 3 min late
    await run('every-five', '12:15:00', 'skipped', '12:25:01', 'catch-up')
    await run('every-five', '12:20:00', 'succeeded', '12:25:01', 'catch-up')
    await run('every-five', '12:25:00', 'failed', '12:25:01', 'cron', 'smtp down')
    const h = await health('12:27:00')
    expect(h).toMatchObject({ status: 'ok', consecutiveFailures: 1, lastSuccess: at('12:20:00').toISOString(), lastRun: { status: 'failed', error: 'smtp down' } })
    expect(h.recent).toEqual([
      { at: at('12:05:00').toISOString(), state: 'on-time' },
      { at: at('12:10:00').toISOString(), state: 'late' },
      { at: at('12:15:00').toISOString(), state: 'missed' },
      { at: at('12:20:00').toISOString(), state: 'late' },
      { at: at('12:25:00').toISOString(), state: 'failed' },
    ])
  })

  it('is failing after failingAfter failed occurrences in a row (skipped ones aside), from the first of them', async () => {
    await run('every-five', '12:30:00', 'skipped', '12:40:01', 'catch-up')
    await run('every-five', '12:35:00', 'failed')
    expect(await health('12:36:00')).toMatchObject({ status: 'ok', consecutiveFailures: 2 })
    await run('every-five', '12:40:00', 'failed', '12:40:00', 'cron', 'smtp still down')
    expect(await health('12:41:00')).toMatchObject({ status: 'failing', consecutiveFailures: 3, since: at('12:25:00').toISOString(), reason: 'its last 3 occurrences failed: smtp still down' })
    // A stopped cron outranks failing runs: nothing arrives at all.
    expect(await health('13:00:00')).toMatchObject({ status: 'missing', since: at('12:45:00').toISOString(), consecutiveFailures: 3 })
  })

  it('reads a zoned schedule in its zone, and a schedule never seen before is not missing its past', async () => {
    const berlin: HealthSchedule = { name: 'berlin-morning', cron: '0 7 * * *', timezone: 'Europe/Berlin', health: { graceSeconds: 900 } }
    const report = await scheduleHealth(db.observer, [berlin], { now: new Date('2026-06-01T05:20:00Z') })
    expect(report.schedules[0]).toMatchObject({ status: 'ok', timezone: 'Europe/Berlin', nextExpected: '2026-06-02T05:00:00.000Z' })
    // Its baseline was just written (record: true): tomorrow without a run is missing since 07:00 local.
    const later = await scheduleHealth(db.observer, [berlin], { now: new Date('2026-06-02T05:20:00Z'), record: false })
    expect(later.schedules[0]).toMatchObject({ status: 'missing', since: '2026-06-02T05:00:00.000Z' })
  })
})

describe('incidents: noticed by /readyz or the sweep, raised once', () => {
  let t: TestApp
  let receiver: http.Server
  let receiverUrl: string
  const received: { type: string; task: string }[] = []
  let taskFails = false
  const entries: ScheduleEntry[] = [
    { name: 'heartbeat', cron: '* * * * *', description: 'every minute', task: () => async () => ({ processed: 1, more: false }), health: { graceSeconds: 120 } },
    {
      name: 'nightly-export',
      cron: '* * * * *',
      description: 'fails while taskFails',
      task: () => async () => {
        if (taskFails) throw new Error('export bucket unreachable')
        return { processed: 1, more: false }
      },
      health: { failingAfter: 2 },
    },
    { name: 'outbox-sweep', cron: '* * * * *', description: 'sweeps and watches', task: outboxSweep },
  ]
  const readyz = (path = '/readyz') => call(t, path, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
  const incidents = async () => (await db.observer.query(`SELECT task, kind, resolved_at IS NOT NULL AS resolved FROM schedule_incidents WHERE task IN ('heartbeat', 'nightly-export') ORDER BY opened_at`)).rows
  const emails = async () => (await db.observer.query(`SELECT to_email AS to, subject FROM sent_emails WHERE kind = 'ops' ORDER BY created_at`)).rows

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        const event = JSON.parse(body) as { type: string; data: { task: string } }
        received.push({ type: event.type, task: event.data.task })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
    t = taskApp(db.url, { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }, entries)
  })
  afterAll(async () => {
    await t.close()
    receiver.closeAllConnections()
    receiver.close()
  })

  it('only admins may subscribe to schedule events', async () => {
    const user = await seedUser(db.observer)
    const refused = await call(t, '/v1/webhooks', json({ url: `${receiverUrl}/user`, eventTypes: ['email.sent', 'schedule.missed'] }, user.auth))
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'schedule.missed is sent to admins\' endpoints only' } } })
  })

  it('a dead cron: /readyz says degraded and names it, /readyz/schedules answers 503; ten probes at once raise one event and one email per admin', async () => {
    const admins = [await seedUser(db.observer, { role: 'admin' }), await seedUser(db.observer, { role: 'admin' })]
    const created = await call(t, '/v1/webhooks', json({ url: `${receiverUrl}/ops`, eventTypes: ['schedule.missed', 'schedule.failing'] }, admins[0]!.auth))
    expect(created.status).toBe(201)
    // The deployment has known these schedules for 20 minutes, and nothing ever ran.
    for (const task of ['heartbeat', 'nightly-export', 'outbox-sweep']) await baseline(task, new Date(Date.now() - 20 * 60_000))

    const probes = await Promise.all(Array.from({ length: 10 }, () => readyz()))
    for (const p of probes) {
      expect(p.status).toBe(200)
      expect(p.body).toMatchObject({ status: 'degraded', schedules: { status: 'missing' } })
      expect(p.body.schedules.problems.map((x: { task: string }) => x.task).sort()).toEqual(['heartbeat', 'nightly-export', 'outbox-sweep'])
    }
    const strict = await readyz('/readyz/schedules')
    expect(strict.status).toBe(503)
    expect(strict.body.schedules.find((s: { task: string }) => s.task === 'heartbeat')).toMatchObject({ status: 'missing', graceSeconds: 120 })

    expect(await incidents()).toEqual([
      { task: 'heartbeat', kind: 'missed', resolved: false },
      { task: 'nightly-export', kind: 'missed', resolved: false },
    ])
    // No queue here: the probe that opened the incident delivered its alerts itself.
    expect(received.filter((r) => r.task === 'heartbeat')).toEqual([{ type: 'schedule.missed', task: 'heartbeat' }])
    expect((await emails()).filter((e) => e.subject.includes('heartbeat'))).toEqual(admins.map((a) => ({ to: a.email, subject: '[lowtide] schedule heartbeat is missing' })))
  })

  it('resolves when runs arrive again; a new outage is a new incident', async () => {
    for (const task of ['heartbeat', 'nightly-export', 'outbox-sweep']) expect((await runTask(t, task)).status).toBe(200)
    const ok = await readyz('/readyz/schedules')
    expect(ok).toMatchObject({ status: 200, body: { status: 'ok' } })
    await new Promise((r) => setTimeout(r, READYZ_SCHEDULES_TTL_MS))
    expect((await readyz()).body).toMatchObject({ status: 'ok', schedules: { status: 'ok', problems: [] } })
    expect(await incidents()).toEqual([
      { task: 'heartbeat', kind: 'missed', resolved: true },
      { task: 'nightly-export', kind: 'missed', resolved: true },
    ])
    // The heartbeat stops again (its runs gone, known for 20 minutes): a second incident, a second alert.
    await db.observer.query(`DELETE FROM task_runs WHERE task = 'heartbeat'`)
    // /readyz reuses the health it computed for 5 s (probes come in bursts): it still says ok…
    expect((await readyz()).body.status).toBe('ok')
    // …while /readyz/schedules always looks again, and notices.
    expect((await readyz('/readyz/schedules')).status).toBe(503)
    expect((await incidents()).filter((i) => i.task === 'heartbeat')).toEqual([
      { task: 'heartbeat', kind: 'missed', resolved: true },
      { task: 'heartbeat', kind: 'missed', resolved: false },
    ])
    expect(received.filter((r) => r.task === 'heartbeat')).toHaveLength(2)
    expect((await runTask(t, 'heartbeat')).status).toBe(200)
  })

  it('the sweep notices a failing schedule first, and raises it once', async () => {
    taskFails = true
    // The next two occurrences (the current one succeeded above) fail.
    const minute = (m: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + m * 60_000)
    for (const m of [1, 2]) expect((await runTask(t, 'nightly-export', minute(m))).status).toBe(500)
    const sweep = await runTask(t, 'outbox-sweep', minute(3))
    expect(sweep.body.result.schedules).toEqual({ status: 'failing', incidentsOpened: 1 })
    const again = await runTask(t, 'outbox-sweep', minute(4))
    expect(again.body.result.schedules).toEqual({ status: 'failing', incidentsOpened: 0 })
    expect((await incidents()).filter((i) => i.kind === 'failing')).toEqual([{ task: 'nightly-export', kind: 'failing', resolved: false }])
    // The sweep delivered the alert it wrote (no queue): the admin endpoint heard of it.
    expect(received.filter((r) => r.type === 'schedule.failing')).toEqual([{ type: 'schedule.failing', task: 'nightly-export' }])
    taskFails = false
  })
})
