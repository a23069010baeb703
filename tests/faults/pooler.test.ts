/**
 * Faults of the pooler itself, under a steady stream of writes from every TCP driver mode, each app
 * behind one PgBouncer (transaction mode, a pool smaller than the apps', a client waiting 1 s for a
 * server connection is let go): PgBouncer killed and restarted, its server connections killed,
 * Postgres killed behind it, PAUSE then RESUME. While it lasts every answer is a 2xx, or a 503 with Retry-After (or a 504): never
 * a 500, never a hang; no acknowledged write is lost; afterwards every app writes again and, once its
 * idle timeout has passed, holds no connection at the pooler.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../tools/lib/embedded-postgres.js'
import { migrateDatabase } from '../../tools/lib/migrations.js'
import { PGBOUNCER_BIN, PGBOUNCER_MISSING, startPgBouncer, type PgBouncer } from '../../tools/lib/pgbouncer.js'
import { waitFor } from '../helpers/db.js'
import { seedUser, type SeededUser } from '../helpers/users.js'
import { sleep } from './load.js'
import { COUNT_CONTACTS, startDriverModes, unhandled, writesAcrossFault, type DriverMode } from './modes.js'

const IDLE_TIMEOUT_MS = 1000
const WRITERS = 3

let postgres: EmbeddedPostgresHandle
let bouncer: PgBouncer
let parent: string
let directUrl: string
let user: SeededUser
let modes: DriverMode[] = []

beforeEach((ctx) => {
  if (!PGBOUNCER_BIN) ctx.skip(PGBOUNCER_MISSING)
})

beforeAll(async () => {
  if (!PGBOUNCER_BIN) return
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-faults-pooler-'))
  fs.chmodSync(parent, 0o777)
  postgres = await startEmbeddedPostgres({ dataDir: path.join(parent, 'pgdata'), persistent: false })
  const admin = new pg.Client({ connectionString: postgres.url })
  await admin.connect()
  await admin.query('CREATE DATABASE lowtide_faults')
  await admin.end()
  directUrl = postgres.urlFor('lowtide_faults')
  await migrateDatabase(directUrl)
  user = await withClient((c) => seedUser(c))
  bouncer = await startPgBouncer({ serverUrl: postgres.url, poolSize: 4, queryWaitTimeoutS: 1 })
  modes = await startDriverModes(bouncer.urlFor(directUrl), { DB_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) }, { neon: false })
}, 120_000)

afterAll(async () => {
  for (const mode of modes) await mode.process.stop()
  await bouncer?.stop()
  await postgres?.stop()
  if (parent) fs.rmSync(parent, { recursive: true, force: true })
})

/** Straight to Postgres: the observer must not depend on the pooler under test. */
async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: directUrl, application_name: 'lowtide-test-observer' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

const scenarios: [string, () => Promise<void>][] = [
  [
    'PgBouncer killed (-9) and restarted after 1 s',
    async () => {
      await bouncer.restart(1000)
    },
  ],
  [
    "PgBouncer's server connections killed (pg_terminate_backend), twice",
    async () => {
      for (let i = 0; i < 2; i++) {
        await withClient((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'lowtide_faults' AND pid <> pg_backend_pid() AND application_name <> 'lowtide-test-observer'`))
        await sleep(300)
      }
    },
  ],
  [
    'Postgres killed (-9) behind it, back after 1.5 s',
    async () => {
      await postgres.halt('kill')
      await sleep(1500)
      await postgres.restart()
    },
  ],
  [
    'PAUSE for 3 s, then RESUME',
    async () => {
      await bouncer.admin('PAUSE lowtide_faults')
      await sleep(3000)
      await bouncer.admin('RESUME lowtide_faults')
    },
  ],
]

describe.each(scenarios)('%s, under writes through the pooler', (scenario, inject) => {
  it('loses no acknowledged write, answers 2xx or 503 + Retry-After (never 500, never a hang), and recovers', async () => {
    const { tallies, rows } = await writesAcrossFault(modes, {
      scenario: `pgbouncer: ${scenario}`,
      auth: user.auth,
      writers: WRITERS,
      inject,
      countAcked: (emails) => withClient(async (c) => (await c.query<{ n: number }>(COUNT_CONTACTS, [emails])).rows[0]!.n),
    })
    for (const [i, t] of tallies.entries()) {
      const mode = modes[i]!
      const { lost, http500, hangs } = rows[i]!
      expect({ driver: mode.driver, lost, http500, hangs, withoutRetryAfter: t.unavailableWithoutRetryAfter }).toEqual({ driver: mode.driver, lost: 0, http500: 0, hangs: 0, withoutRetryAfter: 0 })
      expect([...t.statuses.keys()].filter((s) => s !== 201 && s !== 503 && s !== 504)).toEqual([])
      expect(unhandled(mode)).toEqual([])
    }
  })
})

describe('after the pooler faults', () => {
  it('holds no connection at the pooler once the idle timeout has passed, on any driver', async () => {
    const names = new Set(modes.map((m) => m.appName))
    const held = async () => (await bouncer.admin<{ application_name: string }>('SHOW CLIENTS')).filter((c) => names.has(c.application_name)).map((c) => c.application_name)
    await waitFor(async () => (await held()).length === 0, IDLE_TIMEOUT_MS + 5000, 100).catch(() => undefined)
    expect(await held()).toEqual([])
    expect(bouncer.log()).not.toMatch(/FATAL @/) // PgBouncer's own fatal errors (a crash), not the server's it passes on
  })
})
