/**
 * Postgres taken down under a steady stream of writes, on every driver mode this machine can run
 * (a shared pool, a connection per request, Neon's WebSocket driver and its SQL-over-HTTP through
 * the local stand-ins), all at once against one server of their own: stopped fast, stopped
 * immediately (crash recovery on restart) and killed with -9, postmaster and backends alike.
 * Every acknowledged write must be there afterwards, no answer may be a 500 or a hang, an answer
 * that says "unavailable" must say when to come back (Retry-After), /readyz must say 503 while the
 * database is down, and once the pools' idle timeout has passed no connection may be left.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../tools/lib/embedded-postgres.js'
import { migrateDatabase } from '../../tools/lib/migrations.js'
import { TEST_OPS_TOKEN } from '../helpers/app.js'
import { waitFor } from '../helpers/db.js'
import { seedUser, type SeededUser } from '../helpers/users.js'
import { sleep, timedRequest, type StreamTally } from './load.js'
import { COUNT_CONTACTS, startDriverModes, unhandled, writesAcrossFault, type DriverMode } from './modes.js'
import type { FaultRow } from './report.js'

const IDLE_TIMEOUT_MS = 1000
const DOWN_MS = 1500
const WRITERS = 3

let postgres: EmbeddedPostgresHandle
let parent: string
let dbUrl: string
let user: SeededUser
let modes: DriverMode[] = []

beforeAll(async () => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-faults-'))
  fs.chmodSync(parent, 0o777)
  postgres = await startEmbeddedPostgres({ dataDir: path.join(parent, 'pgdata'), persistent: false })
  const admin = new pg.Client({ connectionString: postgres.url })
  await admin.connect()
  await admin.query('CREATE DATABASE lowtide_faults')
  await admin.end()
  dbUrl = postgres.urlFor('lowtide_faults')
  await migrateDatabase(dbUrl)
  user = await withClient((c) => seedUser(c))

  modes = await startDriverModes(dbUrl, { DB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) })
}, 120_000)

afterAll(async () => {
  for (const mode of modes) await mode.process.stop()
  await postgres?.stop()
  if (parent) fs.rmSync(parent, { recursive: true, force: true })
})

/** A short-lived client of our own: the observer must not be a casualty of the outage. */
async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: dbUrl, application_name: 'lowtide-test-observer' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** /readyz, polled one request after another until stopped: when it said what. */
function pollReadyz(url: string) {
  const seen: { at: number; status: number }[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const answer = await timedRequest(`${url}/readyz`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }, 10_000)
      seen.push({ at: performance.now(), status: answer.status })
      await sleep(50)
    }
  })()
  return {
    seen,
    stop: async () => {
      running = false
      await done
    },
  }
}

describe.each([
  ['stopped fast (pg_ctl -m fast)', 'fast'],
  ['stopped immediately (pg_ctl -m immediate)', 'immediate'],
  ['killed (-9, postmaster and backends)', 'kill'],
] as const)('Postgres %s under writes', (_label, fault) => {
  it('loses no acknowledged write, answers 503 + Retry-After (never 500, never a hang) while down, and recovers', async () => {
    const readyz = modes.map((m) => pollReadyz(m.url))
    let down = Number.NaN
    let tallies: StreamTally[]
    let rows: FaultRow[]
    let up: number
    try {
      ;({ tallies, rows, healed: up } = await writesAcrossFault(modes, {
        scenario: `postgres ${fault === 'kill' ? 'kill -9' : `stop -m ${fault}`}, down ${DOWN_MS / 1000} s`,
        auth: user.auth,
        writers: WRITERS,
        async inject() {
          down = performance.now()
          await postgres.halt(fault)
          await sleep(DOWN_MS)
          await postgres.restart()
        },
        countAcked: (emails) => withClient(async (c) => (await c.query<{ n: number }>(COUNT_CONTACTS, [emails])).rows[0]!.n),
      }))
    } finally {
      await Promise.all(readyz.map((r) => r.stop()))
    }

    for (const [i, t] of tallies.entries()) {
      const mode = modes[i]!
      const { lost, http500, hangs } = rows[i]!
      expect({ driver: mode.driver, lost, http500, hangs, withoutRetryAfter: t.unavailableWithoutRetryAfter }).toEqual({ driver: mode.driver, lost: 0, http500: 0, hangs: 0, withoutRetryAfter: 0 })
      // While down, writes were refused with 503 — not queued into a hang, not answered 201 by magic.
      expect(t.statuses.get(503) ?? 0).toBeGreaterThan(0)
      expect([...t.statuses.keys()].filter((s) => s !== 201 && s !== 503 && s !== 504)).toEqual([])
      // /readyz said so while down, and says ok again after.
      const seen = readyz[i]!.seen
      expect(seen.some((s) => s.at > down && s.at < up && s.status === 503)).toBe(true)
      expect(seen.filter((s) => s.at > up).at(-1)?.status).toBe(200)
      expect(unhandled(mode)).toEqual([])
    }
  })
})

describe('after the outages', () => {
  it('holds no connection once the idle timeout has passed, on any driver', async () => {
    const names = modes.map((m) => m.appName)
    const left = async () =>
      withClient(async (c) => (await c.query<{ application_name: string }>(`SELECT application_name FROM pg_stat_activity WHERE application_name = ANY($1)`, [names])).rows)
    await waitFor(async () => (await left()).length === 0, IDLE_TIMEOUT_MS + 5000, 100).catch(() => undefined)
    expect(await left()).toEqual([])
  })
})
