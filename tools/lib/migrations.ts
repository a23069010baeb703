import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { migrate, type Migration } from '../../src/db/migrate.js'
import type { Logger } from '../../src/logger.js'

/** The outreach backend's migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
/** lowtide's runtime tables (tasks, outbox, rate limits): applied after an app's own, whatever the app. */
export const RUNTIME_MIGRATIONS_DIR = path.join(MIGRATIONS_DIR, 'runtime')

/** `<dir>/NNN_name.sql`, in file-name order; ids get `prefix` (`runtime/001_runtime`). */
export async function loadMigrations(dir = MIGRATIONS_DIR, prefix = ''): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  return Promise.all(files.map(async (f) => ({ id: prefix + f.replace(/\.sql$/, ''), sql: await fs.readFile(path.join(dir, f), 'utf8') })))
}

/**
 * Applies every pending migration to the database at `url` over one dedicated connection: the app's
 * (`appDir`, the outreach backend's by default), then the runtime's.
 */
export async function migrateDatabase(url: string, logger?: Logger, appDir = MIGRATIONS_DIR): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'lowtide-migrate' })
  await client.connect()
  try {
    const migrations = [...(await loadMigrations(appDir)), ...(await loadMigrations(RUNTIME_MIGRATIONS_DIR, 'runtime/'))]
    return await migrate(client, migrations, logger)
  } finally {
    await client.end()
  }
}
