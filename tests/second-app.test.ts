/**
 * The runtime as a boundary another Hono app can reuse: the notes app (tests/second-app/), built from
 * src/runtime/index.ts alone, on its own database (the runtime's migrations and its own, none of the
 * outreach backend's), run on Node (functions/adapters/node.ts), through Lambda events
 * (functions/adapters/lambda.ts) and in workerd (its own wrangler build) — with the runtime's
 * guarantees: connections given back when a request ends, drained to 0 after the idle timeout, no
 * timer left behind, one run per task occurrence, outbox rows delivered.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { APIGatewayProxyResult } from 'hono/aws-lambda'
import { Miniflare } from 'miniflare'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createLambdaEntry, type LambdaHandler } from '../functions/adapters/lambda.js'
import { serveNode, type NodeServer } from '../functions/adapters/node.js'
import { loadRuntimeConfig, taskRequest, type ScheduledRun } from '../src/runtime/index.js'
import { migrateDatabase } from '../tools/lib/migrations.js'
import { TEST_OPS_TOKEN } from './helpers/app.js'
import { uniqueAppName, urlFor, waitFor } from './helpers/db.js'
import { httpApiEvent, lambdaContext, scheduleInput, sqsEvent } from './helpers/lambda-events.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'
import { startWorkerFrom } from './helpers/worker.js'
import { createNotesApp, notesSchedules } from './second-app/app.js'

const HERE = path.join(import.meta.dirname, 'second-app')
const database = `lt_t_notes_${Date.now().toString(36)}`
const url = () => urlFor(database)
let observer: pg.Client

const env = (appName: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: url(),
  DB_APPLICATION_NAME: appName,
  DB_IDLE_TIMEOUT_MS: '500',
  OPS_TOKEN: TEST_OPS_TOKEN,
  TASK_SIGNING_SECRET: TEST_SIGNING_SECRET,
  LOG_LEVEL: 'silent',
  PORT: '0',
  ...extra,
})
const connections = async (appName: string) =>
  (await observer.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [appName])).rows.length
/** The digests written for the occurrence at `at`. */
const digestsAt = async (at: Date | string) => (await observer.query(`SELECT notes FROM note_digests WHERE scheduled_at = $1`, [new Date(at)])).rows
const indexed = async (id: string) => (await observer.query(`SELECT indexed_at IS NOT NULL AS indexed FROM notes WHERE id = $1`, [id])).rows[0]?.indexed as boolean
const refedTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${database}`) // empty: not the outreach template
  await admin.end()
  await migrateDatabase(url(), undefined, path.join(HERE, 'migrations'))
  observer = new pg.Client({ connectionString: url(), application_name: 'lowtide-test-observer' })
  await observer.connect()
}, 60_000)
afterAll(async () => {
  await observer?.end()
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})

describe('the notes app imports lowtide only through the runtime entry', () => {
  it('names no other module of this repository', () => {
    const imports = fs
      .readdirSync(HERE)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...fs.readFileSync(path.join(HERE, f), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!))
    expect(imports.filter((i) => i.startsWith('.') && i !== './app.js')).toEqual(expect.arrayContaining(['../../src/runtime/index.js']))
    expect(imports.filter((i) => i.startsWith('.') && i !== './app.js' && i !== '../../src/runtime/index.js')).toEqual([])
  })

  it('has only the runtime schema and its own in its database', async () => {
    const { rows } = await observer.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
    expect(rows.map((r) => r.name)).toEqual(['lowtide_migrations', 'note_digests', 'notes', 'outbox', 'rate_limits', 'schedule_baselines', 'schedule_incidents', 'task_leases', 'task_runs'])
  })
})

describe('on Node (functions/adapters/node.ts)', () => {
  const appName = uniqueAppName('notes-node')
  let server: NodeServer
  let timersBefore: number
  beforeAll(async () => {
    timersBefore = refedTimeouts()
    server = await serveNode(loadRuntimeConfig(env(appName), 'node'), (platform) => createNotesApp(platform))
  })
  afterAll(() => server?.close())

  it('serves its routes and the runtime’s, and gives every connection back when a request ends', async () => {
    const post = (text: string) => fetch(`${server.url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) })
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => post(`note ${i}`)))
    expect(created.map((r) => r.status)).toEqual(Array(12).fill(201))
    const first = (await created[0]!.json()) as { id: string }
    expect((await fetch(`${server.url}/notes/${first.id}`)).status).toBe(200)
    expect(await (await fetch(`${server.url}/notes/not-a-uuid`)).json()).toMatchObject({ error: { code: 'validation_failed' } })
    expect((await post('')).status).toBe(400)
    const stats = server.connections.stats()
    expect(stats.total - stats.idle).toBe(0)
    const ready = await fetch(`${server.url}/readyz`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
    expect(ready.status).toBe(200)
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { info: { title: string }; paths: Record<string, unknown> }
    expect(doc.info.title).toBe('notes')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/notes', '/notes/{id}', '/health', '/readyz', '/tasks/{name}', '/queue/deliver']))
  })

  it('delivers its outbox kind (the sweep, no queue) and runs its task once per occurrence', async () => {
    const { id } = (await (await fetch(`${server.url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"to index"}' })).json()) as { id: string }
    expect(await indexed(id)).toBe(false)
    const run = (name: string, at?: Date) => fetch(taskRequest(server.url, name, { secret: TEST_SIGNING_SECRET, scheduledAt: at, trigger: 'test' }))
    expect((await run('outbox-sweep')).status).toBe(200)
    expect(await indexed(id)).toBe(true)
    const at = new Date('2026-12-01T10:05:00Z')
    const [a, b] = [await (await run('note-digest', at)).json(), await (await run('note-digest', at)).json()] as { status: string }[]
    expect([a!.status, b!.status]).toEqual(['succeeded', 'duplicate'])
    expect(await digestsAt(at)).toHaveLength(1)
  })

  it('drains to 0 connections after the idle timeout and leaves no timer', async () => {
    await waitFor(async () => (await connections(appName)) === 0, 3000, 50)
    expect(server.connections.stats()).toMatchObject({ total: 0 })
    expect(refedTimeouts()).toBeLessThanOrEqual(timersBefore)
  })
})

describe('through Lambda events (functions/adapters/lambda.ts)', () => {
  const appName = uniqueAppName('notes-lambda')
  let handler: LambdaHandler
  let timersBefore: number
  beforeAll(() => {
    timersBefore = refedTimeouts()
    handler = createLambdaEntry(env(appName), { load: loadRuntimeConfig, build: (platform) => createNotesApp(platform), schedules: notesSchedules })
  })
  afterAll(() => handler?.connections.end())

  const http = async (method: string, route: string, body?: unknown) => {
    const result = (await handler(httpApiEvent(method, route, body === undefined ? {} : { body }), lambdaContext('notes-api'))) as APIGatewayProxyResult
    return { status: result.statusCode, json: JSON.parse(result.body) }
  }

  it('serves API Gateway events and gives the connection back after each', async () => {
    const created = await http('POST', '/notes', { text: 'from lambda' })
    expect(created.status).toBe(201)
    expect((await http('GET', `/notes/${created.json.id}`)).json.body).toBe('from lambda')
    expect((await http('GET', '/notes')).json.count).toBeGreaterThan(0)
    const stats = handler.connections.stats()
    expect(stats.total - stats.idle).toBe(0)

    // Its outbox row, delivered by an SQS batch through /queue/deliver in the same function.
    const { rows } = await observer.query(`SELECT id FROM outbox WHERE kind = 'index-note' AND payload->>'id' = $1`, [created.json.id])
    const batch = await handler(sqsEvent([{ messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify({ id: rows[0].id, kind: 'index-note' }) }]), lambdaContext('notes-api'))
    expect(batch).toEqual({ batchItemFailures: [] })
    expect(await indexed(created.json.id)).toBe(true)
  })

  it('runs a schedule event once per occurrence', async () => {
    const at = '2026-12-01T10:10:00.000Z'
    const first = (await handler(scheduleInput('note-digest', at), lambdaContext('notes-tasks'))) as ScheduledRun
    const again = (await handler(scheduleInput('note-digest', at), lambdaContext('notes-tasks'))) as ScheduledRun
    expect([first.ok, (first.body as { status: string }).status, (again.body as { status: string }).status]).toEqual([true, 'succeeded', 'duplicate'])
    expect(await digestsAt(at)).toHaveLength(1)
  })

  it('drains to 0 connections after the idle timeout and leaves no timer', async () => {
    await waitFor(async () => (await connections(appName)) === 0, 3000, 50)
    expect(handler.connections.stats()).toMatchObject({ total: 0 })
    expect(refedTimeouts()).toBeLessThanOrEqual(timersBefore)
  })
})

describe('in workerd (its own wrangler build)', () => {
  const appName = uniqueAppName('notes-worker')
  let mf: Miniflare
  beforeAll(async () => {
    mf = await startWorkerFrom(path.join(HERE, 'wrangler.toml'), env(appName))
  }, 120_000)
  afterAll(async () => {
    await mf?.dispose()
  })

  it('opens a connection per request and closes it when the request ends', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await mf.dispatchFetch('http://localhost/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `worker ${i}` }) })
      expect(res.status).toBe(201)
      await res.json()
      await waitFor(async () => (await connections(appName)) === 0, 2000, 20)
    }
    const health = await mf.dispatchFetch('http://localhost/health')
    expect(await health.json()).toEqual({ status: 'ok' })
  })

  it('runs a cron trigger once per occurrence, and its sweep delivers the outbox', async () => {
    const worker = await mf.getWorker()
    const scheduledTime = new Date('2026-12-01T10:15:00Z')
    await worker.scheduled({ cron: '*/5 * * * *', scheduledTime })
    await worker.scheduled({ cron: '*/5 * * * *', scheduledTime })
    expect(await digestsAt(scheduledTime)).toHaveLength(1)
    const { rows } = await observer.query(`SELECT trigger, status FROM task_runs WHERE task = 'note-digest' AND scheduled_at = $1`, [scheduledTime])
    expect(rows).toEqual([{ trigger: 'cron', status: 'succeeded' }])

    // The next minute's firing: the Node app above already swept this minute's occurrence.
    await worker.scheduled({ cron: '* * * * *', scheduledTime: new Date(Math.floor(Date.now() / 60_000 + 1) * 60_000) })
    const pending = await observer.query(`SELECT count(*)::int AS n FROM outbox WHERE status <> 'done'`)
    expect(pending.rows[0].n).toBe(0)
    await waitFor(async () => (await connections(appName)) === 0, 2000, 20)
  })
})
