/**
 * The baseline for bench:http: the smallest honest Hono + pg.Pool app serving the same query as
 * lowtide's GET /v1/users/:id, with the same pool size. Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pg from 'pg'

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 5),
  idleTimeoutMillis: Number(process.env.DB_IDLE_TIMEOUT_MS ?? 10_000),
  application_name: process.env.DB_APPLICATION_NAME ?? 'bench-bare',
})
const app = new Hono()
app.get('/v1/users/:id', async (c) => {
  const { rows } = await pool.query(`SELECT id, email, name, to_json(created_at)#>>'{}' AS "createdAt" FROM users WHERE id = $1`, [c.req.param('id')])
  return rows[0] ? c.json(rows[0]) : c.json({ error: { code: 'not_found', message: 'user not found' } }, 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }))
})
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))))
