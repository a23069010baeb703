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

export function urlFor(database: string): string {
  const url = new URL(inject('pgAdminUrl'))
  url.pathname = `/${database}`
  return url.toString()
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
  const url = urlFor(name)
  const observer = new pg.Client({ connectionString: url, application_name: 'lowtide-test-observer' })
  await observer.connect()
  return {
    name,
    url,
    observer,
    async connections(applicationName) {
      const { rows } = await observer.query<ConnectionRow>(
        `SELECT pid, state, query, backend_start FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
        [applicationName],
      )
      return rows
    },
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
