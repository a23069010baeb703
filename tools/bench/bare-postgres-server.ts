/**
 * A bench:http baseline: the smallest honest Hono + postgres.js app serving what lowtide's
 * GET /v1/users/:id does — the same two statements, written as a postgres.js user writes them
 * (tagged templates, prepared by default), with the same pool size. Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import postgres from 'postgres'
import { announce, bearer } from './bare-statements.js'

const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DB_POOL_MAX ?? 5),
  idle_timeout: Number(process.env.DB_IDLE_TIMEOUT_MS ?? 10_000) / 1000,
  connect_timeout: Number(process.env.DB_CONNECT_TIMEOUT_MS ?? 2000) / 1000,
  connection: { application_name: process.env.DB_APPLICATION_NAME ?? 'bench-bare-postgres' },
})

const app = new Hono()
app.get('/v1/users/:id', async (c) => {
  const key = bearer(c.req.header('authorization'))
  const hash = key ? createHash('sha256').update(key).digest() : undefined
  const [viewer] = hash
    ? await sql`WITH k AS (SELECT id, user_id FROM api_keys WHERE key_hash = ${hash} AND revoked_at IS NULL),
        touch AS (UPDATE api_keys SET last_used_at = now() WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
        SELECT u.id, u.email, u.role, u.email_verified_at IS NOT NULL AS "emailVerified", k.id AS "apiKeyId" FROM k JOIN users u ON u.id = k.user_id`
    : []
  if (!viewer) return c.json({ error: { code: 'invalid_api_key', message: 'unknown key' } }, 401)
  const id = c.req.param('id')
  const rows = viewer.id === id || viewer.role === 'admin'
    ? await sql`SELECT id, email, name, role, email_verified_at IS NOT NULL AS "emailVerified", to_json(created_at)#>>'{}' AS "createdAt" FROM users WHERE id = ${id}`
    : []
  return rows[0] ? c.json(rows[0]) : c.json({ error: { code: 'not_found', message: 'user not found' } }, 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  announce((server.address() as AddressInfo).port, (done) => server.close(() => void sql.end().then(done)))
})
