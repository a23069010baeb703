/**
 * The baseline for bench:lambda: the smallest honest Lambda a team would hand-write for this — Hono
 * through `hono/aws-lambda` over a `pg.Pool`, one route — bundled the same way as lowtide's.
 */
import { Hono } from 'hono'
import { handle } from 'hono/aws-lambda'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2, idleTimeoutMillis: 1000, allowExitOnIdle: true })
const app = new Hono()
app.get('/health', (c) => c.json({ status: 'ok' }))
app.get('/v1/users/:id', async (c) => c.json((await pool.query('SELECT id, email FROM users WHERE id = $1', [c.req.param('id')])).rows[0] ?? null))
export const handler = handle(app)
