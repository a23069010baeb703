/**
 * `npm run task -- <name> [--url http://127.0.0.1:8787] [--scheduled-at <ISO time>] [--follow <n>]`
 *
 * Signs (TASK_SIGNING_SECRET) or authorises (CRON_SECRET) a `POST /tasks/<name>` and sends it: for
 * system cron, GitHub Actions, or a run by hand. With neither set, and an `npm start` running, it
 * signs with that server's secret and calls that server (both kept in npm start's state file). `--url` may carry a path prefix (an API Gateway
 * stage, `https://host/prod`). `--follow n` re-triggers at once while the run answers `more: true`,
 * at most n times. Exit code 0 when every call succeeded, 1 when one failed, 2 on bad arguments.
 */
import { parseArgs } from 'node:util'
import { taskRequest } from '../src/tasks/trigger.js'
import { joinUrl } from '../src/url.js'
import { readStartState } from '../tools/lib/start-state.js'

const USAGE = 'usage: npm run task -- <name> [--url URL] [--scheduled-at ISO] [--follow N]'

function usageError(message: string, showUsage = false): never {
  console.error(`npm run task: ${message}${showUsage ? `\n${USAGE}` : ''}`)
  process.exit(2)
}

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'scheduled-at': { type: 'string' },
        follow: { type: 'string', default: '0' },
      },
    })
  } catch (err) {
    return usageError((err as Error).message, true)
  }
}

export async function callTask(url: string, task: string, scheduledAt?: Date, secrets = credentials()): Promise<{ status: number; body: Record<string, unknown> }> {
  const { secret, cronSecret } = secrets
  if (!secret && !cronSecret) throw new Error('set TASK_SIGNING_SECRET (or CRON_SECRET) to call task endpoints, or run npm start on this machine')
  const request = secret
    ? taskRequest(url, task, { secret, scheduledAt, trigger: 'cli' })
    : new Request(joinUrl(url, `/tasks/${encodeURIComponent(task)}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${cronSecret}`, 'content-type': 'application/json', 'x-lowtide-trigger': 'cli' },
        body: JSON.stringify(scheduledAt ? { scheduledAt: scheduledAt.toISOString() } : {}),
      })
  const res = await fetch(request)
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> }
}

/** The environment's secrets, or else those of a running `npm start`. */
function credentials(): { secret?: string; cronSecret?: string } {
  const secret = process.env.TASK_SIGNING_SECRET
  const cronSecret = process.env.CRON_SECRET
  if (secret || cronSecret) return { secret, cronSecret }
  return { secret: readStartState()?.taskSigningSecret }
}

const { values, positionals } = parseCommandLine()
const url = values.url ?? process.env.LOWTIDE_URL ?? (process.env.TASK_SIGNING_SECRET || process.env.CRON_SECRET ? undefined : readStartState()?.serverUrl) ?? 'http://127.0.0.1:8787'
const name = positionals[0]
if (!name) usageError('which task? (a name from cron/schedules.ts)', true)
if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) usageError(`--url must be an http(s) URL (got ${JSON.stringify(url)})`)
const follow = Number(values.follow)
if (!Number.isInteger(follow) || follow < 0) usageError(`--follow must be a whole number ≥ 0 (got ${JSON.stringify(values.follow)})`)
let scheduledAt: Date | undefined
if (values['scheduled-at'] !== undefined) {
  scheduledAt = new Date(values['scheduled-at'])
  if (!/^\d{4}-\d{2}-\d{2}T/.test(values['scheduled-at']) || Number.isNaN(scheduledAt.getTime())) {
    usageError(`--scheduled-at must be an ISO time such as 2026-08-01T03:30:00Z (got ${JSON.stringify(values['scheduled-at'])})`)
  }
}

let ok = true
try {
  for (let i = 0; i <= follow; i++) {
    const { status, body } = await callTask(url, name, scheduledAt)
    console.log(JSON.stringify({ http: status, ...body }))
    ok &&= status >= 200 && status < 300
    if (!ok || body.more !== true) break
    scheduledAt = new Date() // a continuation is an occurrence of its own
  }
} catch (err) {
  const cause = (err as Error & { cause?: Error }).cause
  console.error(`npm run task: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`)
  ok = false
}
process.exit(ok ? 0 : 1)
