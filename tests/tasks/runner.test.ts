import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkSignature, computeSignature, signRequest } from '../../src/http/signing.js'
import type { ScheduleEntry, TaskContext } from '../../src/tasks/types.js'
import { type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { runTask, taskApp, TEST_SIGNING_SECRET } from '../helpers/tasks.js'

let db: TestDatabase
let t: TestApp
const calls: { task: string; scheduledAt: string }[] = []

/** Test tasks: record their calls; `slow` holds its run for a while. */
const probe = (name: string, extra: Partial<ScheduleEntry> = {}, work: (ctx: TaskContext) => Promise<void> = async () => undefined): ScheduleEntry => ({
  name,
  cron: '* * * * *',
  description: 'test',
  task: () => async (ctx) => {
    calls.push({ task: name, scheduledAt: ctx.scheduledAt.toISOString() })
    await work(ctx)
    return { processed: 1, more: false }
  },
  ...extra,
})

const entries: ScheduleEntry[] = [
  probe('quick'),
  probe('slow', {}, async (ctx) => void (await ctx.db.query('SELECT pg_sleep(0.4)'))),
  probe('skipper', { catchUp: 'skip' }),
  probe('once', { catchUp: 'once' }),
  probe('all', { catchUp: 'all', maxCatchUp: 3 }),
  probe('hourly', { cron: '0 * * * *' }),
  probe('daily', { cron: '0 8 * * *' }),
  probe('broken', {}, async () => {
    throw new Error('boom')
  }),
]

beforeAll(async () => {
  db = await freshDatabase()
  t = taskApp(db.url, { CRON_SECRET: 'cron-secret-0123456789', TASK_SIGNING_SECRET_NEXT: 'next-signing-secret-0123456789abcdef' }, entries)
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

const ledger = async (task: string) =>
  (await db.observer.query(`SELECT status, trigger, attempts, to_json(scheduled_at)#>>'{}' AS at FROM task_runs WHERE task = $1 ORDER BY scheduled_at`, [task])).rows
const post = (name: string, body: string, headers: Record<string, string>) =>
  t.app.request(`/tasks/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

describe('task endpoint authentication', () => {
  const body = '{}'
  const signed = (name: string, text: string, secret = TEST_SIGNING_SECRET, nowMs?: number) => signRequest(secret, { method: 'POST', path: `/tasks/${name}`, body: text }, nowMs)
  it('accepts the current and the next signing secret, and CRON_SECRET', async () => {
    expect((await post('quick', body, signed('quick', body))).status).toBe(200)
    expect((await post('quick', body, signed('quick', body, 'next-signing-secret-0123456789abcdef'))).status).toBe(200)
    expect((await post('quick', '', { authorization: 'Bearer cron-secret-0123456789' })).status).toBe(200)
  })

  it.each([
    ['no credentials', () => ({}), 'unauthorized'],
    ['a wrong secret', () => signed('quick', body, 'another-secret-that-is-long-enough-xx'), 'invalid_signature'],
    ['an expired timestamp (replay outside ±5 min)', () => signed('quick', body, TEST_SIGNING_SECRET, Date.now() - 6 * 60_000), 'invalid_signature'],
    ['a timestamp from the future', () => signed('quick', body, TEST_SIGNING_SECRET, Date.now() + 6 * 60_000), 'invalid_signature'],
    ['an altered body', () => signed('quick', '{"scheduledAt":"2020-01-01T00:00:00Z"}'), 'invalid_signature'],
    // A captured request for one task is no use for another, nor for another method.
    ['a signature made for another task', () => signed('slow', body), 'invalid_signature'],
    ['a signature made for another method', () => signRequest(TEST_SIGNING_SECRET, { method: 'PUT', path: '/tasks/quick', body }), 'invalid_signature'],
    ['a malformed signature', () => ({ 'x-lowtide-timestamp': String(Math.floor(Date.now() / 1000)), 'x-lowtide-signature': 'sha256=abc' }), 'invalid_signature'],
    ['a wrong CRON_SECRET', () => ({ authorization: 'Bearer not-the-cron-secret' }), 'invalid_signature'],
  ])('answers 401 to %s', async (_label, headers, code) => {
    const res = await post('quick', body, headers())
    expect(res.status).toBe(401)
    expect(((await res.json()) as any).error.code).toBe(code)
  })

  it('signs "<timestamp>\\n<METHOD>\\n<path>\\n<body>" with HMAC-SHA256 (checked against node:crypto)', () => {
    const expected = createHmac('sha256', 'key').update('1700000000\nPOST\n/tasks/quick\n{"a":1}').digest('hex')
    expect(computeSignature('key', '1700000000', { method: 'post', path: '/tasks/quick', body: '{"a":1}' })).toBe(`v2=${expected}`)
  })

  it('refuses a v1 signature ("<timestamp>.<body>", no method or path): captured for one task, it runs none', async () => {
    const ts = String(Math.floor(Date.now() / 1000))
    const v1 = `v1=${createHmac('sha256', TEST_SIGNING_SECRET).update(`${ts}.${body}`).digest('hex')}`
    const count = async () => (await db.observer.query(`SELECT count(*)::int AS n FROM task_runs`)).rows[0].n as number
    const before = await count()
    for (const task of ['quick', 'slow']) {
      const res = await post(task, body, { 'x-lowtide-timestamp': ts, 'x-lowtide-signature': v1 })
      const error = ((await res.json()) as any).error
      expect([res.status, error.code]).toEqual([401, 'invalid_signature'])
      expect(error.message).toMatch(/v1 scheme .* which lowtide does not accept; sign v2: "<timestamp>\\n<METHOD>\\n<path>\\n<body>"/)
    }
    expect(await count()).toBe(before)
    expect(checkSignature([TEST_SIGNING_SECRET], ts, v1, { method: 'POST', path: '/tasks/quick', body })).toBe('v1-refused')
  })

  it('keeps the README recipe working: curl with a signature made by openssl', async () => {
    const server = await import('@hono/node-server').then(({ serve }) => new Promise<{ url: string; close(): void }>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }))
    }))
    try {
      // README's "Calling a task endpoint by hand" block, as written, pointed at this server and task.
      const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
      const block = /Calling a task endpoint by hand[^\n]*\n\n```sh\n([\s\S]*?)```/.exec(readme)![1]!
      const script = block.replace(/^URL=\S+ TASK=\S+/m, `URL=${server.url} TASK=quick`)
      // Not execFileSync: the server answering curl runs in this very process.
      const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: { ...process.env, TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, URL: server.url }, timeout: 20_000 })
      expect(JSON.parse(stdout)).toMatchObject({ task: 'quick', status: expect.stringMatching(/^(succeeded|duplicate)$/) })
    } finally {
      server.close()
    }
  })

  it('answers 404 for an unknown task and 400 for a bad body', async () => {
    expect((await runTask(t, 'nope')).status).toBe(404)
    const bad = '{"scheduledAt":"yesterday"}'
    expect((await post('quick', bad, signRequest(TEST_SIGNING_SECRET, { method: 'POST', path: '/tasks/quick', body: bad }))).status).toBe(400)
    const future = JSON.stringify({ scheduledAt: new Date(Date.now() + 3600_000).toISOString() })
    expect((await post('quick', future, signRequest(TEST_SIGNING_SECRET, { method: 'POST', path: '/tasks/quick', body: future }))).status).toBe(400)
  })
})

describe('occurrences and leases', () => {
  it('runs the same occurrence once, however often it is delivered', async () => {
    const at = new Date('2026-01-05T10:00:00Z')
    const first = await runTask(t, 'hourly', at)
    const second = await runTask(t, 'hourly', at)
    expect(first.body).toMatchObject({ status: 'succeeded', processed: 1 })
    expect(second.body).toMatchObject({ status: 'duplicate', runId: first.body.runId })
    expect(calls.filter((c) => c.task === 'hourly')).toHaveLength(1)
  })

  it("takes the cron's occurrence at or before a trigger's time: a daily 08:00 task called at 08:00:10 and 08:03:40 runs once", async () => {
    const first = await runTask(t, 'daily', new Date('2026-02-10T08:00:10Z'))
    const late = await runTask(t, 'daily', new Date('2026-02-10T08:03:40Z'))
    // A manual firing in the evening is the same occurrence too; the next day's is a new one.
    const evening = await runTask(t, 'daily', new Date('2026-02-10T19:00:00Z'))
    const nextDay = await runTask(t, 'daily', new Date('2026-02-11T08:00:02Z'))
    expect([first.body.status, late.body.status, evening.body.status, nextDay.body.status]).toEqual(['succeeded', 'duplicate', 'duplicate', 'succeeded'])
    expect([first.body.scheduledAt, late.body.scheduledAt, nextDay.body.scheduledAt]).toEqual(['2026-02-10T08:00:00.000Z', '2026-02-10T08:00:00.000Z', '2026-02-11T08:00:00.000Z'])
    expect(calls.filter((c) => c.task === 'daily').map((c) => c.scheduledAt)).toEqual(['2026-02-10T08:00:00.000Z', '2026-02-11T08:00:00.000Z'])
  })

  it('answers 400 to a time older than the ledger keeps runs (AWS sample events say 1970), naming TASK_LEDGER_RETENTION_DAYS', async () => {
    const body = JSON.stringify({ scheduledAt: '1970-01-01T00:00:00Z' })
    const res = await post('daily', body, signRequest(TEST_SIGNING_SECRET, { method: 'POST', path: '/tasks/daily', body }))
    const error = ((await res.json()) as any).error
    expect([res.status, error.code, error.message]).toEqual([400, 'validation_failed', 'scheduledAt is more than 3650 days ago'])
    expect(error.details[0].message).toMatch(/older than the ledger keeps runs \(TASK_LEDGER_RETENTION_DAYS=3650\): it could not tell whether that occurrence already ran/)
    // With the default retention (30 days): 31 days ago is refused, 29 days ago runs.
    const monthly = taskApp(db.url, { TASK_LEDGER_RETENTION_DAYS: '30' }, entries)
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000)
    expect((await runTask(monthly, 'daily', daysAgo(31))).status).toBe(400)
    expect((await runTask(monthly, 'daily', daysAgo(29))).body.status).toBe('succeeded')
    await monthly.close()
    expect(calls.filter((c) => c.scheduledAt.startsWith('1970'))).toEqual([])
  })

  it('maps a trigger without scheduledAt to the latest cron occurrence, so triggers within a period are one', async () => {
    const a = await runTask(t, 'hourly')
    const b = await runTask(t, 'hourly')
    const expected = new Date()
    expected.setUTCMinutes(0, 0, 0)
    expect(a.body.scheduledAt).toBe(expected.toISOString())
    expect(b.body.status).toBe('duplicate')
  })

  it('lets exactly one of two concurrent triggers run; the other gets 409 with the holder’s run id', async () => {
    const at = new Date(Date.now() - 60_000)
    const [x, y] = await Promise.all([runTask(t, 'slow', at), runTask(t, 'slow', at)])
    const statuses = [x.status, y.status].sort()
    expect(statuses).toEqual([200, 409])
    const [ok, refused] = x.status === 200 ? [x, y] : [y, x]
    expect(refused.body.error.code).toBe('task_running')
    expect(refused.body.error.details.runId).toBe(ok.body.runId)
    expect(Date.parse(refused.body.error.details.expiresAt)).toBeGreaterThan(Date.now())
    expect(calls.filter((c) => c.task === 'slow')).toHaveLength(1)
  })

  it('takes over the lease of a crashed run once it expires, and reruns its occurrence', async () => {
    const at = new Date('2026-01-06T00:00:00Z')
    // A run that died: its lease and its "running" ledger row are left behind.
    await db.observer.query(
      `INSERT INTO task_leases VALUES ('quick', gen_random_uuid(), 'dead-instance', now(), now() + interval '1 hour')
       ON CONFLICT (task) DO UPDATE SET run_id = EXCLUDED.run_id, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at`,
    )
    await db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger) VALUES ('quick', $1, 'running', 'cron')`, [at])
    expect((await runTask(t, 'quick', at)).status).toBe(409)
    await db.observer.query(`UPDATE task_leases SET expires_at = now() - interval '1 second' WHERE task = 'quick'`)
    const res = await runTask(t, 'quick', at)
    expect(res.body.status).toBe('succeeded')
    expect((await ledger('quick')).find((r) => r.at.startsWith('2026-01-06'))).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('records a failed run and lets the next delivery retry it', async () => {
    const at = new Date('2026-01-07T00:00:00Z')
    const res = await runTask(t, 'broken', at)
    expect(res.status).toBe(500)
    expect(await ledger('broken')).toEqual([{ status: 'failed', trigger: 'test', attempts: 1, at: expect.any(String) }])
    await runTask(t, 'broken', at)
    expect((await ledger('broken'))[0].attempts).toBe(2)
    // The lease was given back both times.
    const { rows } = await db.observer.query(`SELECT expires_at <= now() AS free FROM task_leases WHERE task = 'broken'`)
    expect(rows[0].free).toBe(true)
  })
})

describe('catch-up policies', () => {
  const seedLast = (task: string, at: string) =>
    db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger, finished_at) VALUES ($1, $2, 'succeeded', 'cron', now())`, [task, at])

  it('skip: missed occurrences are recorded as skipped, only the current one runs', async () => {
    await seedLast('skipper', '2026-02-01T10:00:00Z')
    const res = await runTask(t, 'skipper', new Date('2026-02-01T10:05:00Z'))
    expect(res.body).toMatchObject({ status: 'succeeded', caughtUp: 0, skipped: 4 })
    expect((await ledger('skipper')).map((r) => r.status)).toEqual(['succeeded', 'skipped', 'skipped', 'skipped', 'skipped', 'succeeded'])
  })

  it('once: one catch-up run for the latest missed occurrence, then the current one', async () => {
    await seedLast('once', '2026-02-01T10:00:00Z')
    const res = await runTask(t, 'once', new Date('2026-02-01T10:05:00Z'))
    expect(res.body).toMatchObject({ caughtUp: 1, skipped: 3 })
    expect(calls.filter((c) => c.task === 'once').map((c) => c.scheduledAt)).toEqual(['2026-02-01T10:04:00.000Z', '2026-02-01T10:05:00.000Z'])
  })

  it('all: every missed occurrence runs, oldest first, at most maxCatchUp', async () => {
    await seedLast('all', '2026-02-01T10:00:00Z')
    const res = await runTask(t, 'all', new Date('2026-02-01T10:05:00Z'))
    expect(res.body).toMatchObject({ caughtUp: 3, skipped: 1 })
    expect(calls.filter((c) => c.task === 'all').map((c) => c.scheduledAt.slice(11, 16))).toEqual(['10:02', '10:03', '10:04', '10:05'])
  })
})
