/**
 * Schedules in a time zone, across daylight saving, the way Workers runs them: its crons are UTC, so
 * the registry entry fires on a UTC cover (every minute-of-hour the zone's offsets put it on) and
 * local time plus the ledger decide which firing is the occurrence. Three zones — Europe/Berlin,
 * America/New_York and Australia/Adelaide (+9:30/+10:30) — over their 2026 transitions:
 * spring-forward runs a 02:30 job once, at the first instant after the gap; fall-back runs a job in
 * the repeated hour once, not twice.
 *
 * Each case sends every cover firing of three local days (the one before, the transition, the one
 * after) to the signed task endpoint, as a trigger that does not filter would, and once more the
 * firings the Worker's prefilter lets through: both leave exactly croner's occurrences in the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cronOf } from '../../src/tasks/occurrences.js'
import { taskRequest } from '../../src/tasks/trigger.js'
import { dueOnFiring, ownTrigger } from '../../src/tasks/triggers.js'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import type { TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { taskApp, TEST_SIGNING_SECRET } from '../helpers/tasks.js'

interface Case {
  zone: string
  change: 'spring-forward' | 'fall-back'
  /** The local date of the transition. */
  day: string
  cron: string
  /** The local time the transition day's run happens at. */
  runsAt: string
}

const cases: Case[] = [
  { zone: 'Europe/Berlin', change: 'spring-forward', day: '2026-03-29', cron: '30 2 * * *', runsAt: '03:00' },
  { zone: 'Europe/Berlin', change: 'fall-back', day: '2026-10-25', cron: '30 2 * * *', runsAt: '02:30' },
  { zone: 'America/New_York', change: 'spring-forward', day: '2026-03-08', cron: '30 2 * * *', runsAt: '03:00' },
  // New York repeats 01:00–02:00 when it falls back, so the repeated time is 01:30.
  { zone: 'America/New_York', change: 'fall-back', day: '2026-11-01', cron: '30 1 * * *', runsAt: '01:30' },
  { zone: 'Australia/Adelaide', change: 'fall-back', day: '2026-04-05', cron: '30 2 * * *', runsAt: '02:30' },
  { zone: 'Australia/Adelaide', change: 'spring-forward', day: '2026-10-04', cron: '30 2 * * *', runsAt: '03:00' },
]

const taskName = (c: Case) => `tz-${c.zone.split('/')[1]!.toLowerCase().replace(/_/g, '-')}-${c.change}`
const entries: ScheduleEntry[] = cases.map((c) => ({
  name: taskName(c),
  cron: c.cron,
  timezone: c.zone,
  description: `${c.cron} in ${c.zone}`,
  task: () => async () => ({ processed: 1, more: false }),
}))
const filtered: ScheduleEntry[] = entries.map((e) => ({ ...e, name: `${e.name}-filtered` }))

let db: TestDatabase
let t: TestApp
/** Occurrence counts per case, printed for the closing note. */
const counts: string[] = []

beforeAll(async () => {
  db = await freshDatabase()
  t = taskApp(db.url, {}, [...entries, ...filtered])
})
afterAll(async () => {
  console.log(`time-zone occurrences (3 local days each):\n${counts.join('\n')}`)
  await t.close()
  await db.drop()
})

const localDate = (at: Date, zone: string) => at.toLocaleDateString('en-CA', { timeZone: zone })
const localTime = (at: Date, zone: string) => at.toLocaleTimeString('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })

/** Every minute the UTC cover trigger fires in [from, until). */
function coverFirings(cover: string, from: Date, until: Date): Date[] {
  const utc = cronOf(cover)
  const firings: Date[] = []
  for (let at = utc.nextRun(new Date(from.getTime() - 1000)); at && at < until; at = utc.nextRun(at)) firings.push(at)
  return firings
}

async function ledger(task: string): Promise<Date[]> {
  const { rows } = await db.observer.query<{ at: Date }>(`SELECT scheduled_at AS at FROM task_runs WHERE task = $1 AND status = 'succeeded' ORDER BY 1`, [task])
  return rows.map((r) => r.at)
}

async function fire(task: string, at: Date): Promise<void> {
  const res = await t.app.request(taskRequest('http://local', task, { secret: TEST_SIGNING_SECRET, scheduledAt: at, trigger: 'cron' }))
  expect(res.status, `${task} at ${at.toISOString()}: ${await res.clone().text()}`).toBe(200)
}

describe.each(cases)('$cron in $zone across $change on $day', (c) => {
  const entry = entries.find((e) => e.name === taskName(c))!
  const cron = cronOf(c.cron, c.zone)
  // Three local days: from the first occurrence of the day before to just before the one of the day after next.
  const dayBefore = new Date(new Date(`${c.day}T12:00:00Z`).getTime() - 2 * 86_400_000)
  const first = cron.nextRun(dayBefore)!
  const expected = [first, cron.nextRun(first)!, cron.nextRun(cron.nextRun(first)!)!]
  const until = cron.nextRun(expected[2]!)!

  it('croner walks local time: one occurrence per local day, the transition day at the expected local time', () => {
    expect(expected.map((at) => localDate(at, c.zone))).toEqual([-1, 0, 1].map((d) => new Date(new Date(`${c.day}T12:00:00Z`).getTime() + d * 86_400_000).toISOString().slice(0, 10)))
    expect(localTime(expected[1]!, c.zone)).toBe(c.runsAt)
  })

  it('every UTC cover firing sent to the endpoint: exactly one ledger run per local occurrence', async () => {
    const cover = ownTrigger(entry)
    const firings = coverFirings(cover, first, until)
    // Under the Neon drivers each request opens its own connection (~250 ms with SCRAM): there, the
    // firings within two hours of an occurrence (the duplicates and the DST edges) stand for all of them.
    const near = (at: Date) => expected.some((e) => Math.abs(at.getTime() - e.getTime()) <= 2 * 3600_000)
    const sent = process.env.TEST_DB_DRIVER?.startsWith('neon') ? firings.filter(near) : firings
    for (const at of sent) await fire(entry.name, at)
    expect(await ledger(entry.name)).toEqual(expected)
    counts.push(`${c.zone.padEnd(20)} ${c.change.padEnd(15)} cover "${cover}": ${sent.length} firings → ${expected.length} runs (${expected.map((at) => `${localDate(at, c.zone)} ${localTime(at, c.zone)}`).join(', ')})`)
  }, 60_000)

  it("the Worker's prefilter sends only the occurrences, and they run once each", async () => {
    const mirror = filtered.find((e) => e.name === `${entry.name}-filtered`)!
    const cover = ownTrigger(mirror)
    const due = coverFirings(cover, first, until).filter((at) => dueOnFiring([mirror], cover, at).length > 0)
    expect(due).toEqual(expected)
    for (const at of due) await fire(mirror.name, at)
    expect(await ledger(mirror.name)).toEqual(expected)
  })
})

describe('the UTC cover of a zoned schedule', () => {
  it('holds every minute-of-hour the zone puts an occurrence on, and only those', () => {
    expect(ownTrigger({ name: 'a', cron: '30 2 * * *', timezone: 'Europe/Berlin' })).toBe('0,30 * * * *')
    expect(ownTrigger({ name: 'b', cron: '15 9 * * *', timezone: 'Asia/Kolkata' })).toBe('45 * * * *')
    expect(ownTrigger({ name: 'c', cron: '0 9 * * *', timezone: 'Australia/Adelaide' })).toBe('30 * * * *')
    expect(ownTrigger({ name: 'd', cron: '*/20 * * * *', timezone: 'America/St_Johns' })).toBe('10,30,50 * * * *')
  })

  it('refuses a zone croner does not know, naming the task', () => {
    expect(() => taskApp(db.url, {}, [{ ...entries[0]!, name: 'mars', timezone: 'Mars/Olympus_Mons' }])).toThrow(/task mars: .*Mars\/Olympus_Mons/)
  })
})
