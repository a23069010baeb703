/**
 * A second, tiny app on lowtide's runtime — notes — built from the runtime's public entry and nothing
 * else of lowtide: three routes, one task (a digest per occurrence), one outbox kind (indexing a
 * note). It proves the runtime is a boundary another Hono app can reuse.
 */
import { z } from 'zod'
import {
  createRuntime,
  ledgerCleanup,
  notFound,
  openApiApp,
  outboxSweep,
  route,
  type OutboxHandler,
  type RuntimeDeps,
  type RuntimeEnv,
  type ScheduleEntry,
  type TaskFactory,
} from '../../src/runtime/index.js'

const note = z.object({ id: z.uuid(), body: z.string(), indexedAt: z.string().nullable(), createdAt: z.string() })
const noteColumns = `id, body, to_json(indexed_at)#>>'{}' AS "indexedAt", to_json(created_at)#>>'{}' AS "createdAt"`

/** The outbox kind `index-note`: written with the note, delivered after commit (queue or sweep). */
export const indexNote: OutboxHandler = async (row, db) => {
  await db.query(`UPDATE notes SET indexed_at = now() WHERE id = $1 AND indexed_at IS NULL`, [String(row.payload.id)])
}

/** `note-digest`: how many notes exist at this occurrence, written once per occurrence. */
const noteDigest: TaskFactory = () => async (ctx) => {
  const { rows } = await ctx.db.query<{ n: number }>(
    `INSERT INTO note_digests (scheduled_at, notes) SELECT $1, count(*)::int FROM notes RETURNING notes AS n`,
    [ctx.scheduledAt],
  )
  return { processed: 1, more: false, notes: rows[0]!.n }
}

export const notesSchedules: readonly ScheduleEntry[] = [
  { name: 'note-digest', cron: '*/5 * * * *', description: 'How many notes there are, once per occurrence', task: noteDigest },
  { name: 'outbox-sweep', cron: '* * * * *', description: 'Deliver outbox rows the queue did not', task: outboxSweep },
  { name: 'ledger-cleanup', cron: '30 3 * * *', description: 'Prune old task runs', task: ledgerCleanup() },
]

function noteRoutes() {
  const app = openApiApp<RuntimeEnv>()
  app.openapi(
    route({ method: 'post', path: '/', tag: 'notes', auth: 'none', summary: 'Write a note', body: z.object({ text: z.string().min(1).max(500) }).strict(), responses: { 201: note } }),
    async (c) => {
      const created = await c.get('db').withTransaction(async (tx) => {
        const { rows } = await tx.query<z.infer<typeof note>>(`INSERT INTO notes (body) VALUES ($1) RETURNING ${noteColumns}`, [c.req.valid('json').text])
        await c.get('outbox').add(tx, { kind: 'index-note', payload: { id: rows[0]!.id } })
        return rows[0]!
      })
      return c.json(created, 201)
    },
  )
  app.openapi(route({ method: 'get', path: '/{id}', tag: 'notes', auth: 'none', summary: 'A note', params: z.object({ id: z.uuid() }), responses: { 200: note } }), async (c) => {
    const { rows } = await c.get('db').query<z.infer<typeof note>>(`SELECT ${noteColumns} FROM notes WHERE id = $1`, [c.req.valid('param').id])
    if (!rows[0]) throw notFound('note')
    return c.json(rows[0], 200)
  })
  app.openapi(route({ method: 'get', path: '/', tag: 'notes', auth: 'none', summary: 'How many notes there are', responses: { 200: z.object({ count: z.number().int() }) } }), async (c) => {
    const { rows } = await c.get('db').query<{ count: number }>(`SELECT count(*)::int AS count FROM notes`)
    return c.json(rows[0]!, 200)
  })
  return app
}

/** The notes app on whatever platform handed in `platform` (an entry factory's). */
export function createNotesApp(platform: Omit<RuntimeDeps, 'services' | 'schedules' | 'outboxHandlers'>) {
  const { app } = createRuntime({ ...platform, services: {}, schedules: notesSchedules, outboxHandlers: { 'index-note': indexNote }, api: { title: 'notes' } })
  app.route('/notes', noteRoutes())
  return app
}
