import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

export interface TestDatabase {
  name: string
  url: string
  /** Counts rows in pg_stat_activity for `applicationName` on this database. */
  connections(applicationName: string): Promise<ConnectionRow[]>
  /** A plain client for assertions (application_name `lowtide-test-observer`); closed by `drop`. */
  observer: pg.Client
  drop(): Promise<void>
}

export interface ConnectionRow {
  pid: number
  state: string | null
  query: string
  backend_start: Date
}

/** Straight to the test server: for the tests' own observers and admin work. */
export function urlFor(database: string): string {
  const url = new URL(inject('pgAdminUrl'))
  url.pathname = `/${database}`
  return url.toString()
}

/** Whether the apps under test connect through PgBouncer (`npm run test:pgbouncer`). */
export const throughPooler = () => inject('pgBouncerPort') > 0

/** What the app under test connects to: the server, or PgBouncer in front of it. */
export function appUrlFor(database: string): string {
  const url = new URL(urlFor(database))
  if (throughPooler()) url.port = String(inject('pgBouncerPort'))
  return url.toString()
}

/** PgBouncer's admin console (SHOW CLIENTS, SHOW POOLS…), when the tests run through it. */
export async function poolerAdmin<R = Record<string, unknown>>(command: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: appUrlFor('pgbouncer') })
  await client.connect()
  try {
    return (await client.query(command)).rows as R[]
  } finally {
    await client.end()
  }
}

/** A new database cloned from the migrated template. */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `lt_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl'), application_name: 'lowtide-test-admin' })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`)
  } finally {
    await admin.end()
  }
  const url = appUrlFor(name)
  const observer = new pg.Client({ connectionString: urlFor(name), application_name: 'lowtide-test-observer' })
  await observer.connect()
  const backends = async (applicationName: string) =>
    (
      await observer.query<ConnectionRow>(
        `SELECT pid, state, query, backend_start FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
        [applicationName],
      )
    ).rows
  return {
    name,
    url,
    observer,
    connections: (applicationName) => (throughPooler() ? pooledConnections(observer, name, applicationName) : backends(applicationName)),
    async drop() {
      await observer.end().catch(() => undefined)
      const dropper = new pg.Client({ connectionString: inject('pgAdminUrl'), application_name: 'lowtide-test-admin' })
      await dropper.connect()
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await dropper.end()
      }
    },
  }
}

/**
 * Through PgBouncer, the app's connections are its clients at the pooler (SHOW CLIENTS); each linked
 * to a server connection shows what that backend is doing (SHOW SERVERS' remote_pid in
 * pg_stat_activity), an unlinked one is idle. Server connections the pooler keeps for itself are not
 * the app's.
 */
async function pooledConnections(observer: pg.Client, database: string, applicationName: string): Promise<ConnectionRow[]> {
  type Client = { application_name: string; database: string; state: string; link: string | null; connect_time: string }
  const [clients, servers] = await Promise.all([poolerAdmin<Client>('SHOW CLIENTS'), poolerAdmin<{ ptr: string; remote_pid: number }>('SHOW SERVERS')])
  const ours = clients.filter((c) => c.application_name === applicationName && c.database === database)
  const pids = ours.map((c) => servers.find((s) => c.link && s.ptr === c.link)?.remote_pid ?? 0)
  const { rows } = await observer.query<ConnectionRow>(`SELECT pid, state, query, backend_start FROM pg_stat_activity WHERE pid = ANY($1)`, [pids.filter((p) => p > 0)])
  return ours.map((c, i) => rows.find((r) => r.pid === pids[i]) ?? { pid: 0, state: 'idle', query: '', backend_start: new Date(c.connect_time) })
}

export const uniqueAppName = (prefix = 'lt-test') => `${prefix}-${randomUUID().slice(0, 8)}`

/** Polls `probe` until it returns true or `withinMs` passes; returns the elapsed ms or throws. */
export async function waitFor(probe: () => Promise<boolean>, withinMs: number, stepMs = 50): Promise<number> {
  const started = performance.now()
  for (;;) {
    if (await probe()) return performance.now() - started
    if (performance.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, stepMs))
  }
}
