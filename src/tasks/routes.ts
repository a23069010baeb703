/** `POST /tasks/:name`, body optional `{"scheduledAt": "<ISO time>"}` → `{runId, status, processed, more, …}`. */
import { z } from 'zod'
import { AppError } from '../errors.js'
import type { RuntimeEnv } from '../queue/env.js'
import { documentRoute, openApiApp, route } from '../http/openapi.js'
import { validate } from '../http/validate.js'
import type { Logger } from '../logger.js'
import { signedRequest } from '../http/signed-request.js'
import { TRIGGER_HEADER } from '../http/signing.js'
import { occurrenceAt } from './occurrences.js'
import { occurrenceOfDelivery } from './ledger.js'
import { QSTASH_MESSAGE_ID_HEADER, QSTASH_SIGNATURE_HEADER } from '../http/qstash.js'
import { runTrigger, TaskRunningError, type PreparedTask } from './runner.js'
import type { TaskConfig } from '../config/runtime.js'

export { TRIGGER_HEADER } from '../http/signing.js'

export const taskBody = z
  .object({
    /** Defaults to the task's latest cron occurrence: triggers within one period are one occurrence. */
    scheduledAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()

export const taskParam = z.object({ name: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a task name') })

const runOutcome = z
  .object({
    runId: z.uuid(),
    task: z.string(),
    scheduledAt: z.string(),
    status: z.enum(['succeeded', 'duplicate']),
    processed: z.number().int(),
    more: z.boolean(),
    caughtUp: z.number().int(),
    skipped: z.number().int(),
  })
  .catchall(z.unknown())

// Served by the handler below, which reads the body itself: it is optional, and may be empty
// whatever its content type (an HTTP cron with Bearer CRON_SECRET sends nothing).
const runTask = route({
  method: 'post',
  path: '/{name}',
  tag: 'tasks',
  auth: 'signed',
  summary: 'Run one occurrence of a task from the schedule registry',
  params: taskParam,
  body: taskBody,
  responses: { 200: runOutcome },
  errors: { 404: 'No such task', 409: 'The task is running elsewhere (overlap policy skip); `details` carry its run id and when its lease ends' },
})

export function taskRoutes(deps: { tasks: ReadonlyMap<string, PreparedTask>; config: TaskConfig; logger: Logger; holder: string; queueEnabled: boolean }) {
  const app = openApiApp<RuntimeEnv>()
  documentRoute(app, runTask)
  return app.post('/:name', signedRequest(deps.config), validate('param', taskParam), async (c) => {
    const prepared = deps.tasks.get(c.req.valid('param').name)
    if (!prepared) throw new AppError(404, 'unknown_task', `no task named ${c.req.valid('param').name}`)
    const text = await c.req.text()
    const parsed = taskBody.safeParse(text.trim() ? safeJson(text) : {})
    if (!parsed.success) throw new AppError(400, 'validation_failed', 'invalid body: expected {"scheduledAt"?: ISO time}', parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })))
    const now = new Date()
    // A retried delivery (QStash sends the same message id) is for the occurrence it first opened.
    const triggerRef = c.req.header(QSTASH_MESSAGE_ID_HEADER)?.slice(0, 200)
    const redelivered = triggerRef && !parsed.data.scheduledAt ? await occurrenceOfDelivery(c.get('db'), prepared.entry.name, triggerRef) : undefined
    const given = parsed.data.scheduledAt ? new Date(parsed.data.scheduledAt) : undefined
    if (given) assertTriggerTime(given, now, deps.config.ledgerRetentionDays)
    // A trigger's time stands for the cron's occurrence at or before it: a firing a few seconds late,
    // a retried event, a second scheduler, a UTC cover firing off the hour or a fall-back night's
    // second 02:30 are all that one occurrence, which the ledger runs once.
    const scheduledAt = occurrenceAt(prepared.cron, given ?? redelivered ?? now)
    const trigger = (c.req.header(TRIGGER_HEADER) ?? (c.req.header(QSTASH_SIGNATURE_HEADER) !== undefined ? 'qstash' : 'http')).slice(0, 32)
    const outcome = await runTrigger(prepared, {
      db: c.get('db'),
      scheduledAt,
      trigger,
      triggerRef,
      holder: deps.holder,
      logger: deps.logger,
      outbox: c.get('outbox'),
      queueEnabled: deps.queueEnabled,
    }).catch((err: unknown) => {
      throw err instanceof TaskRunningError ? err.toAppError() : err
    })
    return c.json(outcome)
  })
}

/** Clock skew a trigger may have: its time may be this far ahead of ours. */
const FUTURE_TOLERANCE_MS = 5 * 60_000

/**
 * A trigger's time must be one the ledger can answer for: not ahead of us (beyond clock skew), and
 * not older than the ledger keeps runs (`TASK_LEDGER_RETENTION_DAYS`, 30 by default) — for an
 * occurrence that old, `ledger-cleanup` may have removed its record, so the ledger could not tell
 * whether it already ran, and a replayed event (AWS's sample scheduled event says 1970) would run it.
 */
function assertTriggerTime(given: Date, now: Date, retentionDays: number): void {
  if (given.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw new AppError(400, 'validation_failed', 'scheduledAt is in the future', [{ path: 'scheduledAt', message: 'more than 5 minutes ahead' }])
  }
  if (given.getTime() < now.getTime() - retentionDays * 86_400_000) {
    throw new AppError(400, 'validation_failed', `scheduledAt is more than ${retentionDays} days ago`, [
      {
        path: 'scheduledAt',
        message: `${given.toISOString()} is older than the ledger keeps runs (TASK_LEDGER_RETENTION_DAYS=${retentionDays}): it could not tell whether that occurrence already ran`,
      },
    ])
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError(400, 'bad_request', 'malformed JSON body')
  }
}
