import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { migrate, type Migration } from '../../src/db/migrate.js'
import { loadMigrations } from '../../tools/lib/migrations.js'
import { urlFor } from '../helpers/db.js'

const name = `lt_t_migrate_${Date.now().toString(36)}`
const clients: pg.Client[] = []

async function client() {
  const c = new pg.Client({ connectionString: urlFor(name), application_name: 'lowtide-test-migrate' })
  await c.connect()
  clients.push(c)
  return c
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`) // empty: not the migrated template
  await admin.end()
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)))
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.end()
})

const extra: Migration[] = [
  { id: '900_a', sql: 'CREATE TABLE mig_a (id int); INSERT INTO mig_a VALUES (1);' },
  { id: '901_b', sql: 'INSERT INTO mig_a VALUES (2);' },
]

describe('migrations', () => {
  it('applies the repository migrations in order, once, even with two migrators racing', async () => {
    const files = await loadMigrations()
    expect(files.map((m) => m.id)).toEqual([...files.map((m) => m.id)].sort())
    const all = [...files, ...extra]
    const [first, second] = await Promise.all([migrate(await client(), all), migrate(await client(), all)])
    expect([...first, ...second].sort()).toEqual(all.map((m) => m.id).sort())
    const c = await client()
    const { rows } = await c.query('SELECT id FROM lowtide_migrations ORDER BY id')
    expect(rows.map((r) => r.id)).toEqual(all.map((m) => m.id))
    expect((await c.query('SELECT id FROM mig_a ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }])
  })

  it('does nothing the second time', async () => {
    expect(await migrate(await client(), [...(await loadMigrations()), ...extra])).toEqual([])
  })

  it('refuses a migration whose text changed after it was applied', async () => {
    const edited = [{ ...extra[0]!, sql: extra[0]!.sql + ' -- edited' }]
    await expect(migrate(await client(), edited)).rejects.toThrow(/900_a was changed/)
  })

  it('rolls back a failing migration entirely and reports which one', async () => {
    const broken: Migration = { id: '902_broken', sql: 'INSERT INTO mig_a VALUES (3); SELECT * FROM no_such_table;' }
    await expect(migrate(await client(), [broken])).rejects.toThrow(/902_broken failed/)
    const c = await client()
    expect((await c.query('SELECT count(*)::int AS n FROM mig_a WHERE id = 3')).rows[0].n).toBe(0)
    expect((await c.query(`SELECT count(*)::int AS n FROM lowtide_migrations WHERE id = '902_broken'`)).rows[0].n).toBe(0)
  })
})
