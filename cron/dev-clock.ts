/**
 * Development only: a separate process that fires the registry's crons against a local server over
 * HTTP, signed like any external trigger — what Workers cron triggers or EventBridge do in
 * production. `npm start` runs it; runtime code never imports it (the app keeps no clock).
 *
 *   TASK_SIGNING_SECRET=… tsx cron/dev-clock.ts --url http://127.0.0.1:8787
 */
import { parseArgs } from 'node:util'
import { Cron } from 'croner'
import { taskRequest } from '../src/tasks/trigger.js'
import { schedules } from './schedules.js'

const { values } = parseArgs({ options: { url: { type: 'string', default: 'http://127.0.0.1:8787' } } })
const secret = process.env.TASK_SIGNING_SECRET
if (!secret) {
  console.error('dev-clock: TASK_SIGNING_SECRET is required')
  process.exit(2)
}

/** One occurrence, then its continuations while the run says `more` (at most 10). */
async function fire(name: string, scheduledAt: Date): Promise<void> {
  let at = scheduledAt
  for (let i = 0; i < 10; i++) {
    try {
      const res = await fetch(taskRequest(values.url!, name, { secret, scheduledAt: at, trigger: 'dev-clock' }))
      const body = (await res.json()) as { processed?: number; more?: boolean; status?: string; error?: { message: string } }
      console.log(`dev-clock  ${name.padEnd(30)} ${res.status} ${body.status ?? body.error?.message ?? ''} processed ${body.processed ?? 0}${body.more ? ' (more)' : ''}`)
      if (!body.more) return
    } catch (err) {
      console.log(`dev-clock  ${name.padEnd(30)} unreachable: ${(err as Error).message}`)
      return
    }
    at = new Date()
  }
}

const jobs = schedules.map((s) => new Cron(s.cron, { timezone: 'Etc/UTC', protect: true }, (self: Cron) => fire(s.name, self.currentRun() ?? new Date())))
console.log(`dev-clock  firing ${schedules.length} tasks at ${values.url}: ${schedules.map((s) => `${s.name} (${s.cron})`).join(', ')}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const job of jobs) job.stop()
    process.exit(0)
  })
}
