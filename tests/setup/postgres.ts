/**
 * One PostgreSQL per test run: the embedded one (fresh data directory, removed afterwards) or
 * DATABASE_URL when set. Migrations are applied once to a template database; each test file
 * clones it (`freshDatabase()`), which takes milliseconds.
 *
 * `TEST_DB_POOLER=pgbouncer` (`npm run test:pgbouncer`) puts a PgBouncer in transaction mode in front
 * of it, with a pool per database smaller than the apps' pools: every app under test connects
 * through it, the tests' own observers straight to Postgres.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../tools/lib/embedded-postgres.js'
import { startPgBouncer, type PgBouncer } from '../../tools/lib/pgbouncer.js'
import { migrateDatabase } from '../../tools/lib/migrations.js'

export const TEMPLATE_DB = 'lowtide_test_template'

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of an administrative database on the test server (create/drop databases, watch pg_stat_activity). */
    pgAdminUrl: string
    pgTemplate: string
    /** With TEST_DB_POOLER=pgbouncer: PgBouncer's port (every database name routes to the test server); 0 otherwise. */
    pgBouncerPort: number
  }
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgresHandle | undefined
  let adminUrl = process.env.DATABASE_URL
  if (!adminUrl) {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-test-'))
    fs.chmodSync(parent, 0o777)
    embedded = await startEmbeddedPostgres({ dataDir: path.join(parent, 'pgdata'), persistent: false, maxConnections: 300 })
    adminUrl = embedded.url
  }

  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'lowtide-test-admin' })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`)
  await admin.end()
  const templateUrl = new URL(adminUrl)
  templateUrl.pathname = `/${TEMPLATE_DB}`
  await migrateDatabase(templateUrl.toString())

  project.provide('pgAdminUrl', adminUrl)
  project.provide('pgTemplate', TEMPLATE_DB)
  // Server connections per test database: fewer than a test app's pool (5), so clients queue at the pooler.
  const bouncer: PgBouncer | undefined = process.env.TEST_DB_POOLER === 'pgbouncer' ? await startPgBouncer({ serverUrl: adminUrl, poolSize: 3 }) : undefined
  project.provide('pgBouncerPort', bouncer?.port ?? 0)

  return async () => {
    await bouncer?.stop()
    if (embedded) {
      await embedded.stop()
      fs.rmSync(path.dirname(embedded.dataDir), { recursive: true, force: true })
    } else {
      const cleanup = new pg.Client({ connectionString: adminUrl, application_name: 'lowtide-test-admin' })
      await cleanup.connect()
      const { rows } = await cleanup.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'lt\\_t\\_%'`)
      for (const r of rows) await cleanup.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`)
      await cleanup.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
      await cleanup.end()
    }
  }
}
