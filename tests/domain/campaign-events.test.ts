/** SSE campaign progress through the Node entry: 50 streams, 0 connections held between updates. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNodeServer, type NodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { memoryLogger } from '../../src/logger.js'
import { TEST_ENV } from '../helpers/app.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from '../helpers/db.js'
import { seedUser, type SeededUser } from '../helpers/users.js'

let db: TestDatabase
let user: SeededUser
let campaignId: string
const servers: NodeServer[] = []
const appName = uniqueAppName('sse')

async function server(env: Record<string, string>): Promise<NodeServer> {
  const s = await startNodeServer(
    loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', DB_APPLICATION_NAME: appName, DB_POOL_MAX: '5', DB_IDLE_TIMEOUT_MS: '150', SSE_POLL_MS: '400', ...env }, 'node'),
    { logger: memoryLogger() },
  )
  servers.push(s)
  return s
}

beforeAll(async () => {
  db = await freshDatabase()
  user = await seedUser(db.observer)
  const { rows } = await db.observer.query<{ id: string }>(
    `WITH c AS (INSERT INTO campaigns (user_id, name, from_email, subject_template, body_template, status, started_at) VALUES ($1, 'S', 'a@example.com', 's', 'b', 'running', now()) RETURNING id),
     ct AS (INSERT INTO contacts (user_id, email) VALUES ($1, 'x@example.com') RETURNING id),
     e AS (INSERT INTO scheduled_emails (campaign_id, step_position, contact_id, user_id, send_at) SELECT c.id, 1, ct.id, $1, now() + interval '1 hour' FROM c, ct)
     SELECT id FROM c`,
    [user.id],
  )
  campaignId = rows[0]!.id
})
afterAll(async () => {
  for (const s of servers) await s.close(200)
  await db.drop()
})

interface Stream {
  events: { event?: string; id?: string; data?: string; retry?: string }[]
  done: Promise<void>
  abort(): void
}

/** An SSE client on fetch: parses events as they arrive. */
function open(url: string, headers: Record<string, string> = {}): Stream {
  const controller = new AbortController()
  const events: Stream['events'] = []
  const done = (async () => {
    const res = await fetch(url, { headers: { ...user.auth, ...headers }, signal: controller.signal })
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      let cut: number
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut)
        buffer = buffer.slice(cut + 2)
        if (block.startsWith(':')) continue
        const ev: Stream['events'][number] = {}
        for (const line of block.split('\n')) {
          const [k, ...v] = line.split(': ')
          ev[k as 'event'] = v.join(': ')
        }
        events.push(ev)
      }
    }
  })().catch(() => undefined)
  return { events, done, abort: () => controller.abort() }
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe('GET /v1/campaigns/:id/events', () => {
  it('50 open streams hold 0 database connections between updates, deliver changes, and leave no timer when closed', async () => {
    // Polls 1.5 s apart: the pool's 150 ms idle timeout drains it between waves even on a loaded machine.
    const s = await server({ SSE_POLL_MS: '1500' })
    const timersBefore = timeouts()
    const streams = Array.from({ length: 50 }, () => open(`${s.url}/v1/campaigns/${campaignId}/events`))
    await waitFor(async () => streams.every((st) => st.events.length >= 1), 10_000)
    expect(streams[0]!.events[0]).toMatchObject({ event: 'progress', id: '1' })
    expect(JSON.parse(streams[0]!.events[0]!.data!)).toMatchObject({ status: 'running', stats: { pending: 1 } })

    // Between updates nobody holds a connection: the pool drains to zero on the server.
    // (Postgres's own count: the pool's numbers can show the next poll already under way.)
    await waitFor(async () => (await db.connections(appName)).length === 0, 4000, 20)

    // A change reaches every stream.
    await db.observer.query(`UPDATE scheduled_emails SET status = 'sent' WHERE campaign_id = $1`, [campaignId])
    await waitFor(async () => streams.every((st) => st.events.some((e) => e.data?.includes('"sent":1'))), 6000)

    for (const st of streams) st.abort()
    await Promise.all(streams.map((st) => st.done))
    await waitFor(async () => timeouts() <= timersBefore, 3000)
    await db.observer.query(`UPDATE scheduled_emails SET status = 'pending' WHERE campaign_id = $1`, [campaignId])
  }, 30_000)

  it('ends after the maximum duration with a retry, and resumes event ids from Last-Event-ID', async () => {
    const s = await server({ SSE_MAX_DURATION_MS: '1000' })
    const st = open(`${s.url}/v1/campaigns/${campaignId}/events`, { 'last-event-id': '7' })
    await st.done
    expect(st.events[0]).toMatchObject({ event: 'progress', id: '8' })
    expect(st.events.at(-1)).toMatchObject({ event: 'reconnect', retry: '1000' })
  }, 15_000)

  it('is a 404 for another user’s campaign, before any stream starts', async () => {
    const s = servers[0]!
    const other = await seedUser(db.observer)
    const res = await fetch(`${s.url}/v1/campaigns/${campaignId}/events`, { headers: other.auth })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/json/)
  })
})
