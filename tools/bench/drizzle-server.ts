/**
 * A bench:http baseline: Hono + Drizzle ORM over a pg.Pool, as a new user would write the route —
 * the users table through the query builder, the API key lookup (a CTE that also touches
 * last_used_at, which the builder cannot express in one statement) through Drizzle's `sql`. The same
 * two statements, the same pool size. Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { serve } from '@hono/node-server'
import { eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { Hono } from 'hono'
import { announce, benchPool, bearer } from './bare-statements.js'

const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull(),
  name: text('name'),
  role: text('role').notNull(),
  emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
})

const pool = benchPool('bench-drizzle')
const db = drizzle(pool)

const app = new Hono()
app.get('/v1/users/:id', async (c) => {
  const key = bearer(c.req.header('authorization'))
  const hash = key ? createHash('sha256').update(key).digest() : undefined
  const viewer = hash
    ? (
        await db.execute<{ id: string; role: string }>(sql`WITH k AS (SELECT id, user_id FROM api_keys WHERE key_hash = ${hash} AND revoked_at IS NULL),
          touch AS (UPDATE api_keys SET last_used_at = now() WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
          SELECT u.id, u.email, u.role, u.email_verified_at IS NOT NULL AS "emailVerified", k.id AS "apiKeyId" FROM k JOIN users u ON u.id = k.user_id`)
      ).rows[0]
    : undefined
  if (!viewer) return c.json({ error: { code: 'invalid_api_key', message: 'unknown key' } }, 401)
  const id = c.req.param('id')
  const rows =
    viewer.id === id || viewer.role === 'admin'
      ? await db
          .select({
            id: users.id,
            email: users.email,
            name: users.name,
            role: users.role,
            emailVerified: sql<boolean>`${users.emailVerifiedAt} IS NOT NULL`,
            createdAt: sql<string>`to_json(${users.createdAt})#>>'{}'`,
          })
          .from(users)
          .where(eq(users.id, id))
      : []
  return rows[0] ? c.json(rows[0]) : c.json({ error: { code: 'not_found', message: 'user not found' } }, 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  announce((server.address() as AddressInfo).port, (done) => server.close(() => void pool.end().then(done)))
})
