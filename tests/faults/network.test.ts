/**
 * The network between the app and Postgres breaks while writes are in flight, on every driver mode,
 * through a fault proxy (tools/lib/fault-proxy.ts): connections cut mid-statement (RST, FIN) while
 * the statement waits on a lock, a stalled network that holds every byte (longer than the request
 * timeout), and live connections black-holed mid-statement. Every answer must come within the
 * request timeout's bound — a 503 or 504 with a reason, never a 500, never a hang — and writes must
 * resume once the network does, with no connection left behind.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FaultProxy } from '../../tools/lib/fault-proxy.js'
import { waitFor, type TestDatabase } from '../helpers/db.js'
import { lockContacts, proxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-db.js'
import { seedUser, type SeededUser } from '../helpers/users.js'
import { sleep, type StreamTally } from './load.js'
import type { FaultRow } from './report.js'
import { COUNT_CONTACTS, portsOwnedBy, startDriverModes, unhandled, writesAcrossFault, type DriverMode } from './modes.js'

const REQUEST_TIMEOUT_MS = 3000
const CONNECT_TIMEOUT_MS = 1500
const IDLE_TIMEOUT_MS = 1000
/** Longest acceptable answer: the request timeout, plus closing what it cut short (a cancel, a connect). */
const ANSWER_BOUND_MS = REQUEST_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 1000
const WRITERS = 3

let proxied: ProxiedDatabase
let db: TestDatabase
let proxy: FaultProxy
let user: SeededUser
let modes: DriverMode[] = []

beforeAll(async () => {
  proxied = await proxiedDatabase()
  ;({ db, proxy } = proxied)
  user = await seedUser(db.observer)
  modes = await startDriverModes(proxied.url, {
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    DB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  })
}, 120_000)
afterAll(async () => {
  for (const mode of modes) await mode.process.stop()
  await proxied?.close()
})

/** Writes from every mode through `inject`, which breaks the network and resolves once it is whole again. */
async function underWrites(scenario: string, inject: () => Promise<void>): Promise<{ tallies: StreamTally[]; rows: FaultRow[] }> {
  const countAcked = async (emails: string[]) => (await db.observer.query<{ n: number }>(COUNT_CONTACTS, [emails])).rows[0]!.n
  return writesAcrossFault(modes, { scenario, auth: user.auth, writers: WRITERS, inject, countAcked })
}

function expectHeldUp({ tallies, rows }: { tallies: StreamTally[]; rows: FaultRow[] }, allowed: number[]) {
  for (const [i, t] of tallies.entries()) {
    const mode = modes[i]!
    const { lost, http500, hangs } = rows[i]!
    expect({ driver: mode.driver, lost, http500, hangs, withoutRetryAfter: t.unavailableWithoutRetryAfter }).toEqual({ driver: mode.driver, lost: 0, http500: 0, hangs: 0, withoutRetryAfter: 0 })
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
    const outcome = await underWrites(`cut mid-statement (${label})`, async () => {
      locker = await lockContacts(db.url)
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
    expectHeldUp(outcome, [503, 504])
    for (const t of outcome.tallies) expect(t.statuses.get(503)).toBeGreaterThanOrEqual(WRITERS)
  })

  it('a stalled network (bytes held both ways, longer than the request timeout): 503/504 within the bound, then writes resume', async () => {
    const outcome = await underWrites(`stall ${(REQUEST_TIMEOUT_MS + 1500) / 1000} s`, async () => {
      proxy.stall()
      await sleep(REQUEST_TIMEOUT_MS + 1500)
      proxy.resume()
    })
    expectHeldUp(outcome, [503, 504])
    for (const t of outcome.tallies) expect((t.statuses.get(503) ?? 0) + (t.statuses.get(504) ?? 0)).toBeGreaterThan(0)
  })

  it('live connections black-holed mid-statement: cut short at the request timeout, replaced, no slot lost', async () => {
    let apps = new Set<number>()
    const outcome = await underWrites('black-holed mid-statement', async () => {
      proxy.blackhole()
      // Whose connections went into the hole: the app processes', or the local Neon stand-ins' (in
      // this process), which are not the app's to close.
      apps = portsOwnedBy(proxy.blackholed().map((h) => h.clientPort), modes.map((m) => m.process.pid))
    })
    expectHeldUp(outcome, [503, 504])
    // No slot lost: the app closed its side of every black-holed connection it had (a dirty one at
    // the request timeout or after its unanswered cancel, an idle one at the idle timeout).
    const holes = proxy.blackholed()
    expect(apps.size).toBeGreaterThan(0)
    const names = modes.map((m) => m.appName)
    const stillOpen = async () => {
      const open = proxy.blackholed().filter((h) => apps.has(h.clientPort) && !h.clientClosed).map((h) => h.serverPort)
      if (open.length === 0) return []
      const { rows } = await db.observer.query(`SELECT application_name, state FROM pg_stat_activity WHERE client_port = ANY($1)`, [open])
      return rows.map((r) => ({ driver: modes.find((m) => m.appName === r.application_name)?.driver, state: r.state }))
    }
    await waitFor(async () => (await stillOpen()).length === 0, 10_000, 100).catch(() => undefined)
    expect(await stillOpen()).toEqual([])
    // …and nothing else of the app's is busy on the server. The backends behind the dead route are
    // the server's to notice (TCP keepalive): one may still wait mid-message (ClientRead, `active`).
    const orphans = holes.map((h) => h.serverPort)
    const left = async () =>
      (
        await db.observer.query(
          `SELECT application_name, state, wait_event, left(query, 60) AS query FROM pg_stat_activity WHERE application_name = ANY($1) AND state <> 'idle' AND NOT client_port = ANY($2)`,
          [names, orphans],
        )
      ).rows.map((r) => ({ driver: modes.find((m) => m.appName === r.application_name)?.driver, ...r }))
    await waitFor(async () => (await left()).length === 0, 10_000, 100).catch(() => undefined)
    expect(await left()).toEqual([])
  })
})
