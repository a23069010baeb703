/**
 * A platform's scheduled trigger (Workers cron, EventBridge) running a task: the same signed
 * `POST /tasks/<name>` as every other trigger, handed to `app.fetch` (no network hop), logged, and
 * judged. `duplicate` (this occurrence already ran) and `task_running` (another run holds the lease)
 * are fine; any other answer — the task failed (5xx), is unknown (404), or the request was refused
 * (a wrong secret, a bad time) — is a failed run, which the platform must see.
 */
import type { Logger } from '../logger.js'
import { TASK_RUNNING } from './runner.js'
import { taskRequest } from './trigger.js'

export const INTERNAL_BASE_URL = 'https://lowtide.internal'

export interface ScheduledRun {
  task: string
  statusCode: number
  body: unknown
  ok: boolean
}

export class ScheduledTaskError extends Error {
  override name = 'ScheduledTaskError'
  constructor(readonly run: ScheduledRun) {
    const error = (run.body as { error?: { code?: string; message?: string } } | null)?.error
    super(`scheduled task ${run.task} failed: ${run.statusCode}${error ? ` ${error.code}: ${error.message}` : ''}`)
  }
}

export async function runScheduledTask(
  fetch: (request: Request) => Response | Promise<Response>,
  run: { name: string; scheduledAt?: Date; secret: string | undefined; trigger: string },
  logger: Logger,
  fields: Record<string, unknown> = {},
): Promise<ScheduledRun> {
  const res = await fetch(taskRequest(INTERNAL_BASE_URL, run.name, { secret: run.secret, scheduledAt: run.scheduledAt, trigger: run.trigger }))
  const text = await res.text()
  const body = parseBody(text)
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code
  const ok = res.ok || (res.status === 409 && code === TASK_RUNNING)
  logger[ok ? 'info' : 'error']('scheduled task', { task: run.name, trigger: run.trigger, ...fields, status: res.status, result: text.slice(0, 500) })
  return { task: run.name, statusCode: res.status, body, ok }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
