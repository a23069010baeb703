/**
 * The baseline for bench:http: the smallest honest Hono + pg.Pool app serving what lowtide's
 * GET /v1/users/:id does — the same two statements (API key lookup, then the user) with the same
 * pool size — and nothing else. Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { announce, benchPool, authSql, bearer, userSql } from './bare-statements.js'

const pool = benchPool('bench-bare')

const app = new Hono()
app.get('/v1/users/:id', async (c) => {
  const key = bearer(c.req.header('authorization'))
  const viewer = key ? (await pool.query(authSql, [createHash('sha256').update(key).digest()])).rows[0] : undefined
  if (!viewer) return c.json({ error: { code: 'invalid_api_key', message: 'unknown key' } }, 401)
  const id = c.req.param('id')
  const { rows } = viewer.id === id || viewer.role === 'admin' ? await pool.query(userSql, [id]) : { rows: [] }
  return rows[0] ? c.json(rows[0]) : c.json({ error: { code: 'not_found', message: 'user not found' } }, 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  announce((server.address() as AddressInfo).port, (done) => server.close(() => void pool.end().then(done)))
})
