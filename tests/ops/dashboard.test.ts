/** The ops dashboard in headless Chromium (playwright-core), against the Node entry and Postgres. */
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startNodeServer, type NodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { memoryLogger } from '../../src/logger.js'
import { TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { freshDatabase, uniqueAppName, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARTIFACTS = path.resolve('tests/artifacts')
const hasChromium = fs.existsSync(CHROMIUM)

let db: TestDatabase
let server: NodeServer
let browser: Browser

beforeAll(async () => {
  if (!hasChromium) return
  db = await freshDatabase()
  server = await startNodeServer(
    loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: uniqueAppName('ops'), RATE_LIMIT_AUTH: '1/15m' }, 'node'),
    { logger: memoryLogger() },
  )
  // Something to show: a task run, a dead letter, a disabled endpoint, a rate-limit rejection.
  const u = await seedUser(db.observer)
  await db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger, finished_at, processed) VALUES ('campaign-dispatch', now(), 'succeeded', 'cron', now(), 42)`)
  await db.observer.query(`INSERT INTO outbox (kind, payload, status, attempts, last_error) VALUES ('webhook', '{}', 'dead', 8, 'endpoint answered 500')`)
  await db.observer.query(`INSERT INTO webhook_endpoints (user_id, url, event_types, secret, enabled, disabled_reason) VALUES ($1, 'https://gone.example.com/hook', '{email.sent}', 'whsec_x', false, 'failing for 5 days')`, [u.id])
  for (let i = 0; i < 3; i++) await fetch(`${server.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"x@example.com","password":"x"}' })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.close()
  await db?.drop()
})

describe('GET /ops in Chromium', () => {
  beforeEach((ctx) => {
    if (!hasChromium) ctx.skip(`needs Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)`)
  })

  it('asks a browser for credentials', async () => {
    const res = await fetch(`${server.url}/ops`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/)
  })

  it('loads, shows the numbers /readyz reports and the ledgers, and refreshes', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TEST_OPS_TOKEN } })
    const page = await context.newPage()
    const res = await page.goto(`${server.url}/ops`)
    expect(res?.status()).toBe(200)
    await expect(page.title()).resolves.toBe('lowtide ops')

    const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim()
    const ready = (await (await fetch(`${server.url}/readyz`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as {
      pools: { mode: string; max: number; waiting: number }[]
      connections: { idleInTransaction: number }
    }
    expect(await text('pool-mode')).toBe(ready.pools[0]!.mode)
    expect(Number(await text('pool-max'))).toBe(ready.pools[0]!.max)
    expect(Number(await text('pool-waiting'))).toBe(ready.pools[0]!.waiting)
    expect(Number(await text('conn-idle-tx'))).toBe(ready.connections.idleInTransaction)
    expect(Number(await text('conn-total'))).toBeGreaterThanOrEqual(1)
    expect(Number(await text('capacity-held'))).toBeGreaterThanOrEqual(1)
    expect(await text('capacity-budget')).toBe('not declared')
    expect(await text('capacity-server')).toMatch(/^\d+ of \d+ \(max_connections \d+, \d+ reserved\)$/)

    expect(await page.getByTestId('task-runs').textContent()).toContain('campaign-dispatch')
    expect(Number(await text('outbox-dead'))).toBe(1)
    expect(await page.getByTestId('dead-letters').textContent()).toContain('endpoint answered 500')
    expect(Number(await text('webhooks-disabled'))).toBe(1)
    expect(await page.getByTestId('rate-limits').textContent()).toMatch(/auth\s*2/)

    // The client refresh replaces the section with a newer one from the server.
    const first = await page.locator('main').getAttribute('data-generated')
    await page.waitForFunction((before) => document.querySelector('main')?.getAttribute('data-generated') !== before, first, { timeout: 12_000 })

    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'ops-dashboard.png'), fullPage: true })
    expect(fs.statSync(path.join(ARTIFACTS, 'ops-dashboard.png')).size).toBeGreaterThan(10_000)
    await context.close()
  }, 40_000)

  it('shows the Schedules panel: a status per schedule, a chart of its recent occurrences, the open incidents', async () => {
    // Three hours of history: campaign-dispatch runs every minute (some late, one failed, one
    // skipped), outbox-sweep stopped 30 minutes ago, chat-agent-sync-retry fails every time.
    const minute = Math.floor(Date.now() / 60_000) * 60_000
    const ago = (m: number) => new Date(minute - m * 60_000)
    await db.observer.query(`INSERT INTO schedule_baselines (task, first_seen_at) SELECT unnest($1::text[]), $2 ON CONFLICT (task) DO UPDATE SET first_seen_at = excluded.first_seen_at`, [['campaign-dispatch', 'outbox-sweep', 'chat-agent-sync-retry', 'low-credit-notices', 'email-verification-reminders', 'ledger-cleanup'], ago(180)])
    const run = (task: string, at: Date, status: string, lateS = 2, trigger = 'cron', error: string | null = null) =>
      db.observer.query(`INSERT INTO task_runs (task, scheduled_at, status, trigger, started_at, finished_at, error) VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT DO NOTHING`, [task, at, status, trigger, new Date(at.getTime() + lateS * 1000), error])
    for (let m = 30; m >= 1; m--) {
      const state = m === 7 ? 'failed' : m === 12 ? 'skipped' : 'succeeded'
      await run('campaign-dispatch', ago(m), state, m % 9 === 0 ? 150 : 2, m === 12 ? 'catch-up' : 'cron')
      if (m >= 30) await run('outbox-sweep', ago(m), 'succeeded')
    }
    for (let m = 170; m >= 30; m--) await run('outbox-sweep', ago(m), 'succeeded')
    for (const m of [20, 15, 10, 5]) await run('chat-agent-sync-retry', ago(m + (minute / 60_000) % 5), 'failed', 2, 'cron', 'chat agent answered 502')

    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TEST_OPS_TOKEN }, viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    expect((await page.goto(`${server.url}/ops`))?.status()).toBe(200)
    const status = async (task: string) => (await page.getByTestId(`status-${task}`).textContent())?.trim()
    expect(await status('campaign-dispatch')).toBe('ok')
    expect(await status('outbox-sweep')).toBe('missing')
    expect(await status('chat-agent-sync-retry')).toBe('failing')
    // The chart is a picture of the ledger: one square per occurrence, coloured by what became of it.
    const states = await page.getByTestId('chart-campaign-dispatch').locator('rect').evaluateAll((rects) => rects.map((r) => r.getAttribute('data-state')))
    expect(states).toHaveLength(24)
    expect(new Set(states)).toEqual(new Set(['on-time', 'late', 'failed', 'missed', 'pending']))
    expect(await page.getByTestId('chart-campaign-dispatch').locator('rect title').first().textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC: /)
    const incidents = await page.getByTestId('incidents').textContent()
    expect(incidents).toMatch(/outbox-sweep\s*missed/)
    expect(incidents).toMatch(/chat-agent-sync-retry\s*failing/)
    // The same verdict an uptime check gets.
    const strict = await fetch(`${server.url}/readyz/schedules`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
    expect(strict.status).toBe(503)

    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.getByTestId('schedules').screenshot({ path: path.join(ARTIFACTS, 'ops-schedules.png') })
    expect(fs.statSync(path.join(ARTIFACTS, 'ops-schedules.png')).size).toBeGreaterThan(10_000)
    await context.close()
  }, 40_000)
})
