/**
 * Plain-SQL migrations, applied in order under an advisory lock and recorded in `lowtide_migrations`.
 * Each runs in its own transaction that first inserts its row, so a second migrator that somehow got
 * past the lock collides on the primary key instead of applying the file twice. An applied file whose
 * text changed is an error: migrations are append-only.
 */
import type { Logger } from '../logger.js'
import type { Queryable } from './types.js'

export interface Migration {
  /** File name without extension, e.g. `001_users`; order is by id. */
  id: string
  sql: string
}

/** Any 64-bit constant works; this one is "lowtide" in ASCII (0x6c6f7774696465), written in decimal for PostgreSQL < 16. */
const LOCK_KEY = '30521856329606245'

export async function migrate(client: Queryable, migrations: Migration[], logger?: Logger): Promise<string[]> {
  const ordered = [...migrations].sort((a, b) => a.id.localeCompare(b.id))
  await client.query(`SELECT pg_advisory_lock(${LOCK_KEY}::bigint)`)
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS lowtide_migrations (
      id text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const { rows } = await client.query<{ id: string; checksum: string }>('SELECT id, checksum FROM lowtide_migrations')
    const applied = new Map(rows.map((r) => [r.id, r.checksum]))
    const newlyApplied: string[] = []
    for (const migration of ordered) {
      const checksum = await sha256(migration.sql)
      const previous = applied.get(migration.id)
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new Error(`migration ${migration.id} was changed after it was applied; add a new migration instead`)
        }
        continue
      }
      await client.query('BEGIN')
      try {
        await client.query('INSERT INTO lowtide_migrations (id, checksum) VALUES ($1, $2)', [migration.id, checksum])
        await client.query(migration.sql)
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw new Error(`migration ${migration.id} failed: ${(err as Error).message}`, { cause: err })
      }
      newlyApplied.push(migration.id)
      logger?.info('migration applied', { id: migration.id })
    }
    return newlyApplied
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY}::bigint)`).catch(() => undefined)
  }
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
