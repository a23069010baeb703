/**
 * The network between the app and Postgres breaks while writes are in flight, on every driver mode,
 * through a fault proxy (tools/lib/fault-proxy.ts): connections cut mid-statement (RST, FIN) while
 * the statement waits on a lock, a stalled network that holds every byte (longer than the request
 * timeout), and live connections black-holed mid-statement. Every answer must come within the
 * request timeout's bound — a 503 or 504 with a reason, never a 500, never a hang — and writes must
 * resume once the network does, with no connection left behind.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultProxy, type FaultProxy } from '../../tools/lib/fault-proxy.js'
import { freshDatabase, waitFor, type TestDatabase } from '../helpers/db.js'
import { seedUser, type SeededUser } from '../helpers/users.js'
import { recoveryAfter, sleep, writeStream, type StreamTally } from './load.js'
import { startDriverModes, unhandled, type DriverMode } from './modes.js'
import { recordFault } from './report.js'

const REQUEST_TIMEOUT_MS = 3000
const CONNECT_TIMEOUT_MS = 1500
const IDLE_TIMEOUT_MS = 1000
/** Longest acceptable answer: the request timeout, plus closing what it cut short (a cancel, a connect). */
const ANSWER_BOUND_MS = REQUEST_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 1000
const WRITERS = 3

let db: TestDatabase
let proxy: FaultProxy
let user: SeededUser
let modes: DriverMode[] = []

beforeAll(async () => {
  db = await freshDatabase()
  const target = new URL(db.url)
  proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) })
  user = await seedUser(db.observer)
  modes = await startDriverModes(proxy.url(db.url), {
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  })
}, 120_000)
afterAll(async () => {
  for (const mode of modes) await mode.process.stop()
  await proxy?.close()
  await db?.drop()
})

/** Holds a lock that makes `INSERT INTO contacts` wait, on a connection that bypasses the proxy. */
async function lockContacts(): Promise<pg.Client> {
  const locker = new pg.Client({ connectionString: db.url, application_name: 'lowtide-test-locker' })
  await locker.connect()
  await locker.query('BEGIN')
  await locker.query('LOCK TABLE contacts IN EXCLUSIVE MODE')
  return locker
}

/**
 * Writes from every mode at once; `inject` breaks the network and resolves when it is whole again;
 * then every mode must write again. Records a summary row per mode and returns the tallies.
 */
async function underWrites(scenario: string, inject: () => Promise<void>): Promise<StreamTally[]> {
  const streams = modes.map((m) => writeStream(m.url, user.auth, { writers: WRITERS, tag: `${scenario.replace(/\W+/g, '-')}-${m.appName}`, boundMs: 20_000 }))
  let tallies: StreamTally[]
  let healed: number
  try {
    await waitFor(async () => streams.every((s) => s.tally.acked.length >= 3), 15_000)
    await inject()
    healed = performance.now()
    await waitFor(async () => streams.every((s) => recoveryAfter(s.tally, healed) !== undefined), 20_000)
    await sleep(300)
  } finally {
    tallies = await Promise.all(streams.map((s) => s.stop()))
  }
  const found = await Promise.all(
    tallies.map(async (t) => (await db.observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE email = ANY($1)`, [t.acked])).rows[0]!.n),
  )
  for (const [i, mode] of modes.entries()) {
    const t = tallies[i]!
    recordFault({
      scenario,
      driver: mode.driver,
      faults: 1,
      acked: t.acked.length,
      lost: t.acked.length - found[i]!,
      http500: t.statuses.get(500) ?? 0,
      hangs: t.hangs,
      maxRequestMs: t.maxMs,
      recoveryMs: recoveryAfter(t, healed!),
    })
  }
  console.log(`[faults] ${scenario}: ${modes.map((m, i) => `${m.driver} ${JSON.stringify(Object.fromEntries(tallies[i]!.statuses))}`).join('; ')}`)
  return tallies
}

function expectHeldUp(tallies: StreamTally[], allowed: number[]) {
  for (const [i, t] of tallies.entries()) {
    const mode = modes[i]!
    expect({ driver: mode.driver, hangs: t.hangs, http500: t.statuses.get(500) ?? 0, withoutRetryAfter: t.unavailableWithoutRetryAfter }).toEqual({
      driver: mode.driver,
      hangs: 0,
      http500: 0,
      withoutRetryAfter: 0,
    })
    expect({ driver: mode.driver, other: [...t.statuses.keys()].filter((s) => s !== 201 && !allowed.includes(s)) }).toEqual({ driver: mode.driver, other: [] })
    expect(t.maxMs).toBeLessThan(ANSWER_BOUND_MS)
    expect(unhandled(mode)).toEqual([])
  }
}

describe('the network breaks under writes', () => {
  it.each([
    ['reset', 'RST'],
    ['close', 'FIN'],
  ] as const)('connections cut (%s) mid-statement: each waiting write answers 503 + Retry-After', async (how, label) => {
    let locker: pg.Client | undefined
    const tallies = await underWrites(`cut mid-statement (${label})`, async () => {
      locker = await lockContacts()
      try {
        await sleep(700) // every writer is now waiting on the lock, inside its INSERT
        proxy.cut(how)
        await sleep(300)
      } finally {
        await locker.query('ROLLBACK')
        await locker.end()
      }
    })
    // A write still connecting when the lock was released may time out (504) instead: bounded either way.
    expectHeldUp(tallies, [503, 504])
    for (const t of tallies) expect(t.statuses.get(503)).toBeGreaterThanOrEqual(WRITERS)
  })

  it('a stalled network (bytes held both ways, longer than the request timeout): 503/504 within the bound, then writes resume', async () => {
    const tallies = await underWrites(`stall ${(REQUEST_TIMEOUT_MS + 1500) / 1000} s`, async () => {
      proxy.stall()
      await sleep(REQUEST_TIMEOUT_MS + 1500)
      proxy.resume()
    })
    expectHeldUp(tallies, [503, 504])
    for (const t of tallies) expect((t.statuses.get(503) ?? 0) + (t.statuses.get(504) ?? 0)).toBeGreaterThan(0)
  })

  it('live connections black-holed mid-statement: cut short at the request timeout, replaced, no slot lost', async () => {
    const tallies = await underWrites('black-holed mid-statement', async () => {
      proxy.blackhole()
    })
    expectHeldUp(tallies, [503, 504])
    // The app's connections were all given back (or closed) once the idle timeout passed.
    const names = modes.map((m) => m.appName)
    const left = async () => (await db.observer.query(`SELECT application_name, state FROM pg_stat_activity WHERE application_name = ANY($1) AND state <> 'idle'`, [names])).rows
    await waitFor(async () => (await left()).length === 0, 10_000, 100).catch(() => undefined)
    expect(await left()).toEqual([])
  })
})
