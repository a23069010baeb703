/**
 * Plain-SQL migrations, applied in order and recorded in `lowtide_migrations`. Each runs in its own
 * transaction, which first takes a transaction-scoped advisory lock and looks its row up again: two
 * migrators wait for each other and never apply a file twice, and no lock outlives its transaction —
 * through a transaction-mode pooler a session lock would stay behind on whichever server connection
 * took it. An applied file whose text changed is an error: migrations are append-only.
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
const LOCK = `SELECT pg_advisory_xact_lock(${LOCK_KEY}::bigint)`

export async function migrate(client: Queryable, migrations: Migration[], logger?: Logger): Promise<string[]> {
  const ordered = [...migrations].sort((a, b) => a.id.localeCompare(b.id))
  await inTransaction(client, async () => {
    await client.query(LOCK)
    await client.query(`CREATE TABLE IF NOT EXISTS lowtide_migrations (
      id text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
  })
  const newlyApplied: string[] = []
  for (const migration of ordered) {
    const checksum = await sha256(migration.sql)
    const applied = await inTransaction(client, async () => {
      await client.query(LOCK)
      const { rows } = await client.query<{ checksum: string }>('SELECT checksum FROM lowtide_migrations WHERE id = $1', [migration.id])
      if (rows[0]) {
        if (rows[0].checksum !== checksum) throw new Error(`migration ${migration.id} was changed after it was applied; add a new migration instead`)
        return false
      }
      await client.query('INSERT INTO lowtide_migrations (id, checksum) VALUES ($1, $2)', [migration.id, checksum])
      try {
        await client.query(migration.sql)
      } catch (err) {
        throw new Error(`migration ${migration.id} failed: ${(err as Error).message}`, { cause: err })
      }
      return true
    })
    if (!applied) continue
    newlyApplied.push(migration.id)
    logger?.info('migration applied', { id: migration.id })
  }
  return newlyApplied
}

async function inTransaction<T>(client: Queryable, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  try {
    const result = await fn()
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
