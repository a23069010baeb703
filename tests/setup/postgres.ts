/**
 * One PostgreSQL per test run: the embedded one (fresh data directory, removed afterwards) or
 * DATABASE_URL when set. Migrations are applied once to a template database; each test file
 * clones it (`freshDatabase()`), which takes milliseconds.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../tools/lib/embedded-postgres.js'
import { migrateDatabase } from '../../tools/lib/migrations.js'

export const TEMPLATE_DB = 'lowtide_test_template'

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of an administrative database on the test server (create/drop databases, watch pg_stat_activity). */
    pgAdminUrl: string
    pgTemplate: string
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

  return async () => {
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
