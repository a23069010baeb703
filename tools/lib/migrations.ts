import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { migrate, type Migration } from '../../src/db/migrate.js'
import type { Logger } from '../../src/logger.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

/** `migrations/NNN_name.sql`, in file-name order. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  return Promise.all(files.map(async (f) => ({ id: f.replace(/\.sql$/, ''), sql: await fs.readFile(path.join(dir, f), 'utf8') })))
}

/** Applies every pending migration to the database at `url` over one dedicated connection. */
export async function migrateDatabase(url: string, logger?: Logger): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'lowtide-migrate' })
  await client.connect()
  try {
    return await migrate(client, await loadMigrations(), logger)
  } finally {
    await client.end()
  }
}
