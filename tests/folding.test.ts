/**
 * More schedules than the platform's cron quota: twelve schedules folded into one `* * * * *` tick
 * give exactly the ledger that twelve triggers of their own give. A Worker (tests/folding/, built by
 * wrangler, run in workerd) lives through one simulated day twice — 2026-03-29, the day Berlin
 * springs forward — with an hour of platform outage (10:00–10:59 UTC, no firing at all) so the
 * catch-up policies have something to do:
 * - as deployed without folding: each minute, every trigger of the unfolded plan that fires;
 * - folded: each minute, the one tick.
 * Both ledgers are the same rows (task, occurrence, status, trigger), and every occurrence croner
 * computes for the day is in them, once.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Miniflare } from 'miniflare'
import { parse as parseToml } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cronOf } from '../src/tasks/occurrences.js'
import { planWorkersTriggers, TICK } from '../src/tasks/triggers.js'
import { freshDatabase, uniqueAppName, type TestDatabase } from './helpers/db.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'
import { startWorkerFrom } from './helpers/worker.js'
import { foldingSchedules } from './folding/schedules.js'

const HERE = path.join(import.meta.dirname, 'folding')
const DAY = new Date('2026-03-29T00:00:00Z')
const MINUTES = 1440
const OUTAGE = { from: 600, until: 660 }
const FREE_PLAN_TRIGGERS = 5

let db: TestDatabase
let mf: Miniflare

beforeAll(async () => {
  db = await freshDatabase()
  mf = await startWorkerFrom(path.join(HERE, 'wrangler.toml'), {
    DATABASE_URL: db.url,
    DB_APPLICATION_NAME: uniqueAppName('folding-worker'),
    TASK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    LOG_LEVEL: 'warn',
    // The simulated day is 2026-03-29 (a daylight-saving change): within what the ledger keeps here.
    TASK_LEDGER_RETENTION_DAYS: '3650',
  })
}, 120_000)
afterAll(async () => {
  await mf?.dispose()
  await db?.drop()
})

interface Row {
  task: string
  at: string
  status: string
  trigger: string
}

async function ledger(): Promise<Row[]> {
  const { rows } = await db.observer.query<Row>(`SELECT task, to_json(scheduled_at)#>>'{}' AS at, status, trigger FROM task_runs ORDER BY task, scheduled_at`)
  return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }))
}

/** Lives through the simulated day: at each minute outside the outage, every one of `crons` that fires then. */
async function liveTheDay(crons: string[]): Promise<number> {
  const worker = await mf.getWorker()
  const parsed = crons.map((c) => ({ cron: c, utc: cronOf(c) }))
  let firings = 0
  for (let m = 0; m < MINUTES; m++) {
    if (m >= OUTAGE.from && m < OUTAGE.until) continue
    const scheduledTime = new Date(DAY.getTime() + m * 60_000)
    for (const { cron, utc } of parsed) {
      if (!utc.match(scheduledTime)) continue
      const result = await worker.scheduled({ cron, scheduledTime })
      expect(result.outcome, `${cron} at ${scheduledTime.toISOString()}`).toBe('ok')
      firings++
    }
  }
  return firings
}

describe('twelve schedules on one trigger, over a simulated day in workerd', () => {
  const unfolded = planWorkersTriggers(foldingSchedules, 250)
  const folded = planWorkersTriggers(foldingSchedules, FREE_PLAN_TRIGGERS)
  let unfoldedRows: Row[]
  let foldedRows: Row[]
  const counts: Record<string, number> = {}

  it('needs more triggers than the Free plan has, so cron:sync folds them into the tick its wrangler.toml carries', () => {
    expect(unfolded.folded).toBe(false)
    expect(unfolded.crons.length).toBeGreaterThan(FREE_PLAN_TRIGGERS)
    expect(folded).toEqual({ crons: [TICK], folded: true })
    const toml = parseToml(fs.readFileSync(path.join(HERE, 'wrangler.toml'), 'utf8')) as { triggers: { crons: string[] } }
    expect(toml.triggers.crons).toEqual(folded.crons)
  })

  it('one trigger per schedule: the ledger the platform would leave without folding', async () => {
    counts.unfoldedFirings = await liveTheDay(unfolded.crons)
    unfoldedRows = await ledger()
    await db.observer.query(`TRUNCATE task_runs, task_leases`)
  }, 600_000)

  it('folded into one tick: the same ledger, row for row', async () => {
    counts.foldedFirings = await liveTheDay(folded.crons)
    foldedRows = await ledger()
    expect(foldedRows).toEqual(unfoldedRows)
  }, 600_000)

  it("holds every occurrence croner computes for the day: on time outside the outage; the outage's by the schedule's catch-up policy", () => {
    const end = new Date(DAY.getTime() + MINUTES * 60_000)
    const inOutage = (at: Date) => at.getTime() >= DAY.getTime() + OUTAGE.from * 60_000 && at.getTime() < DAY.getTime() + OUTAGE.until * 60_000
    const perTask: string[] = []
    for (const s of foldingSchedules) {
      const cron = cronOf(s.cron, s.timezone)
      const occurrences: Date[] = []
      for (let at = cron.nextRun(new Date(DAY.getTime() - 1000)); at && at < end; at = cron.nextRun(at)) occurrences.push(at)
      // Missed: the latest maxCatchUp + 1 are on record (older ones are neither run nor recorded);
      // `all` runs up to maxCatchUp of them, `once` the latest, `skip` none — the rest are skipped.
      const maxCatchUp = s.maxCatchUp ?? 10
      const missed = occurrences.filter(inOutage).slice(-(maxCatchUp + 1))
      const caughtUp = s.catchUp === 'all' ? missed.slice(-maxCatchUp) : s.catchUp === 'once' ? missed.slice(-1) : []
      const expected = [
        ...occurrences.filter((at) => !inOutage(at)).map((at) => ({ at, status: 'succeeded', trigger: 'cron' })),
        ...missed.map((at) => (caughtUp.includes(at) ? { at, status: 'succeeded', trigger: 'catch-up' } : { at, status: 'skipped', trigger: 'catch-up' })),
      ]
        .map((r) => ({ task: s.name, ...r, at: r.at.toISOString() }))
        .sort((a, b) => a.at.localeCompare(b.at))
      const rows = foldedRows.filter((r) => r.task === s.name)
      expect(rows, s.name).toEqual(expected)
      const by = (status: string, trigger: string) => rows.filter((r) => r.status === status && r.trigger === trigger).length
      perTask.push(`${s.name.padEnd(17)} ${`${s.cron}${s.timezone ? ` ${s.timezone}` : ''}`.padEnd(34)} ${String(occurrences.length).padStart(4)} occurrences: ${by('succeeded', 'cron')} on time, ${by('succeeded', 'catch-up')} caught up, ${by('skipped', 'catch-up')} skipped`)
    }
    expect(foldedRows.filter((r) => r.status !== 'succeeded' && r.status !== 'skipped')).toEqual([])
    // The outage was felt: something was caught up and something skipped.
    expect(foldedRows.some((r) => r.trigger === 'catch-up')).toBe(true)
    expect(foldedRows.some((r) => r.status === 'skipped')).toBe(true)
    console.log(
      `folding, ${DAY.toISOString().slice(0, 10)} (outage ${OUTAGE.from / 60}:00–${OUTAGE.until / 60}:00 UTC): ${unfolded.crons.length} triggers → ${counts.unfoldedFirings} firings; 1 tick → ${counts.foldedFirings} firings; ${foldedRows.length} ledger rows each\n${perTask.join('\n')}`,
    )
  })
})
