/**
 * `npm run task -- <name> [--url http://127.0.0.1:8787] [--scheduled-at <ISO time>] [--follow <n>]`
 *
 * Signs (TASK_SIGNING_SECRET) or authorises (CRON_SECRET) a `POST /tasks/<name>` and sends it: for
 * system cron, GitHub Actions, or a run by hand. `--follow n` re-triggers at once while the run
 * answers `more: true`, at most n times. Exit code 0 when every call succeeded.
 */
import { parseArgs } from 'node:util'
import { taskRequest } from '../src/tasks/trigger.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.LOWTIDE_URL ?? 'http://127.0.0.1:8787' },
    'scheduled-at': { type: 'string' },
    follow: { type: 'string', default: '0' },
  },
})
const name = positionals[0]
if (!name) {
  console.error('usage: npm run task -- <name> [--url URL] [--scheduled-at ISO] [--follow N]')
  process.exit(2)
}

export async function callTask(url: string, task: string, scheduledAt?: Date): Promise<{ status: number; body: Record<string, unknown> }> {
  const secret = process.env.TASK_SIGNING_SECRET
  const cronSecret = process.env.CRON_SECRET
  if (!secret && !cronSecret) throw new Error('set TASK_SIGNING_SECRET (or CRON_SECRET) to call task endpoints')
  const request = secret
    ? taskRequest(url, task, { secret, scheduledAt, trigger: 'cli' })
    : new Request(new URL(`/tasks/${task}`, url), {
        method: 'POST',
        headers: { authorization: `Bearer ${cronSecret}`, 'content-type': 'application/json', 'x-lowtide-trigger': 'cli' },
        body: JSON.stringify(scheduledAt ? { scheduledAt: scheduledAt.toISOString() } : {}),
      })
  const res = await fetch(request)
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> }
}

let scheduledAt = values['scheduled-at'] ? new Date(values['scheduled-at']) : undefined
let ok = true
for (let i = 0; i <= Number(values.follow); i++) {
  const { status, body } = await callTask(values.url!, name, scheduledAt)
  console.log(JSON.stringify({ http: status, ...body }))
  ok &&= status >= 200 && status < 300
  if (!ok || body.more !== true) break
  scheduledAt = new Date() // a continuation is an occurrence of its own
}
process.exit(ok ? 0 : 1)
