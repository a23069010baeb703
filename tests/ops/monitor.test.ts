/** `npm run monitor` against deliberately made situations on the test Postgres. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { schedules } from '../../cron/schedules.js'
import { occurrenceAt } from '../../src/tasks/occurrences.js'
import { cronFor } from '../../src/tasks/triggers.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from '../helpers/db.js'

let db: TestDatabase
const app = uniqueAppName('mon')
const other = uniqueAppName('other')
const clients: pg.Client[] = []
const open = async (applicationName: string, url = db.url) => {
  const c = new pg.Client({ connectionString: url, application_name: applicationName })
  await c.connect()
  c.on('error', () => undefined) // terminated on purpose below
  clients.push(c)
  return c
}

beforeAll(async () => {
  db = await freshDatabase()
  // Many idle connections, one idle in transaction per app, one long query.
  for (let i = 0; i < 6; i++) await open(app)
  await (await open(app)).query('BEGIN; SELECT 1')
  await (await open(other)).query('BEGIN; SELECT 1')
  const slow = await open(app)
  void slow.query('SELECT pg_sleep(30)').catch(() => undefined)
  await waitFor(async () => (await db.connections(app)).some((r) => r.query.includes('pg_sleep') && r.state === 'active'), 5000)
  await new Promise((r) => setTimeout(r, 1200))
})
afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined)
  await db.drop()
})

const monitor = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/monitor.ts', ...args], { env: { ...process.env, DATABASE_URL: db.url, ...env } }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  )

describe('npm run monitor', () => {
  it("shows the app's server connections against its budget (DB_CONNECTION_BUDGET): over it is critical, from 80 % a warning", async () => {
    const at = async (budget: string) => {
      const { out, code } = await monitor(['--once', '--app', app, '--warn', '100000', '--critical', '100001'], { DB_CONNECTION_BUDGET: budget })
      return { code, line: out.split('\n').find((l) => l.startsWith(app)) }
    }
    // The app holds 8 connections (6 idle, 1 idle in transaction, 1 running).
    expect(await at('100')).toEqual({ code: expect.any(Number), line: expect.stringMatching(new RegExp(`^${app} holds 8 server connections of its budget 100 \\(8 %\\); the server has \\d+ of \\d+ usable`)) })
    expect((await at('9')).code).toBe(1)
    const over = await at('5')
    expect(over.code).toBe(2)
    expect(over.line).toMatch(/of its budget 5 \(160 %, OVER\)/)
    const bad = await monitor(['--once', '--budget', 'lots'])
    expect([bad.code, bad.err.trim()]).toEqual([3, 'monitor: --budget (or DB_CONNECTION_BUDGET) must be a whole number > 0 (got "lots")'])
  }, 30_000)

  it('reports connections by application, the long query and the idle-in-transaction sessions', async () => {
    const { out, code } = await monitor(['--once', '--json', '--long', '1', '--idle-tx', '1', '--warn', '100000', '--critical', '100001'])
    expect(code).toBe(0)
    const s = JSON.parse(out)
    const mine = s.connections.value.byApplication.find((g: { applicationName: string }) => g.applicationName === app)
    expect(mine).toMatchObject({ total: 8, active: 1, idle: 6, idleInTransaction: 1, hidden: 0 })
    expect(s.maxConnections).toMatchObject({ available: true, value: expect.any(Number) })
    expect(s.longQueries.value.filter((q: { applicationName: string }) => q.applicationName === app)).toEqual([
      expect.objectContaining({ query: 'SELECT pg_sleep(30)', seconds: expect.any(Number) }),
    ])
    expect(s.idleInTransaction.value.map((r: { applicationName: string }) => r.applicationName).filter((a: string) => a === app || a === other).sort()).toEqual([app, other].sort())
    expect(s.databaseSize.value.bytes).toBeGreaterThan(0)
    expect(s.largestTables.value.length).toBeGreaterThan(0)
  }, 30_000)

  it('exits 0 / 1 / 2 by the thresholds, and prints a readable table', async () => {
    expect((await monitor(['--once', '--warn', '100000', '--critical', '100001'])).code).toBe(0)
    expect((await monitor(['--once', '--warn', '1', '--critical', '100000'])).code).toBe(1)
    const critical = await monitor(['--once', '--warn', '1', '--critical', '1', '--long', '1'])
    expect(critical.code).toBe(2)
    expect(critical.out).toMatch(/level CRITICAL/)
    expect(critical.out).toMatch(new RegExp(`${app}\\s+\\S+\\s+8\\s+1\\s+6\\s+1\\s+0`))
    expect(critical.out).toContain('SELECT pg_sleep(30)')
  }, 30_000)

  it('ends only this app’s idle-in-transaction sessions, and only with --yes', async () => {
    const refused = await monitor(['--terminate-idle-older-than', '1s', '--app', app])
    expect(refused.code).toBe(3)
    expect(refused.err).toMatch(/--yes/)
    const done = await monitor(['--terminate-idle-older-than', '1s', '--app', app, '--yes', '--json'])
    expect(done.code).toBe(0)
    expect(JSON.parse(done.out).terminated).toEqual([expect.objectContaining({ applicationName: app })])
    await waitFor(async () => !(await db.connections(app)).some((r) => r.state?.startsWith('idle in transaction')), 3000)
    expect((await db.connections(other)).map((r) => r.state)).toEqual(['idle in transaction'])
  }, 30_000)

  it('works with an ordinary role: other roles’ sessions are hidden, not counted idle', async () => {
    const role = `mon_${Math.random().toString(36).slice(2, 8)}`
    await db.observer.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`)
    const url = new URL(db.url)
    url.username = role
    url.password = 'pw'
    const { out } = await monitor(['--once', '--json', '--warn', '100000', '--critical', '100001'], { DATABASE_URL: url.toString() })
    const s = JSON.parse(out)
    const names = s.connections.value.byApplication.map((g: { applicationName: string }) => g.applicationName)
    expect(names).not.toContain(app) // it may not even see their application_name
    const hidden = s.connections.value.byApplication.find((g: { applicationName: string }) => g.applicationName === '(hidden)')
    expect(hidden.hidden).toBeGreaterThanOrEqual(8)
    expect(hidden).toMatchObject({ active: 0, idle: 0, idleInTransaction: 0 })
    expect(s.connections.value.hidden).toBeGreaterThanOrEqual(8)
    await db.observer.query(`DROP ROLE ${role}`).catch(() => undefined)
  }, 30_000)

  it('checks the registry’s schedules: missing is critical (exit 2), late a warning (exit 1), all on time ok (exit 0)', async () => {
    const high = ['--once', '--warn', '100000', '--critical', '100001']
    // Known for a day, never run: every schedule is missing.
    await db.observer.query(`INSERT INTO schedule_baselines (task, first_seen_at) SELECT unnest($1::text[]), now() - interval '1 day'`, [schedules.map((s) => s.name)])
    const missing = await monitor(high)
    expect(missing.code).toBe(2)
    expect(missing.out).toMatch(/campaign-dispatch\s+\* \* \* \* \*\s+MISSING/)
    expect(missing.out).toMatch(/campaign-dispatch: no run recorded for the occurrence of/)
    // Each schedule's latest occurrence ran on time: ok.
    const now = new Date()
    for (const entry of schedules) {
      const at = occurrenceAt(cronFor(entry), now)
      await db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger, started_at, finished_at) VALUES ($1, $2, 'succeeded', 'cron', $2, $2)`, [entry.name, at])
    }
    const ok = await monitor([...high, '--json'])
    expect(JSON.parse(ok.out).schedules.value.schedules.map((h: { status: string }) => h.status)).toEqual(schedules.map(() => 'ok'))
    expect(ok.code).toBe(0)
    // The every-minute ones stop for three minutes: late, within their grace.
    await db.observer.query(`DELETE FROM task_runs WHERE scheduled_at > now() - interval '3 minutes' AND task IN ('campaign-dispatch', 'outbox-sweep')`)
    await db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger) SELECT unnest($1::text[]), date_trunc('minute', now()) - interval '3 minutes', 'succeeded', 'cron' ON CONFLICT DO NOTHING`, [['campaign-dispatch', 'outbox-sweep']])
    const late = await monitor(high)
    expect(late.out).toMatch(/outbox-sweep\s+\* \* \* \* \*\s+LATE/)
    expect(late.code).toBe(1)
    await db.observer.query(`DELETE FROM schedule_baselines`)
  }, 30_000)
})
