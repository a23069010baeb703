/**
 * The registry rendered as platform triggers: `[triggers] crons` for wrangler.toml and one
 * EventBridge Scheduler schedule per task under `resources.Resources` in serverless.yml
 * (`scheduler.ts`), each between markers in those files so the rest of them stays hand-written. Pure functions; `sync.ts` does the
 * file work and reads the result back as the platforms will (`platform-check.ts`).
 */
import { Cron } from 'croner'
import { planWorkersTriggers } from '../src/tasks/triggers.js'
import type { ScheduleEntry } from '../src/tasks/types.js'
import { renderSchedulerResources, schedulerSchedules } from './scheduler.js'

export { toAwsCron } from './scheduler.js'

export const BEGIN = '# >>> cron:sync — generated from cron/schedules.ts by `npm run cron:sync`; edit the registry, not this block'
export const END = '# <<< cron:sync'

/** Workers Free allows 5 cron triggers per account, Paid 250. */
export const WORKERS_FREE_CRON_LIMIT = 5

export interface Rendered {
  wrangler: string
  serverless: string
  warnings: string[]
}

export function renderTriggers(schedules: readonly ScheduleEntry[], options: { maxWorkersTriggers?: number } = {}): Rendered {
  const warnings: string[] = []
  for (const s of schedules) {
    try {
      new Cron(s.cron, { paused: true, timezone: s.timezone })
    } catch (err) {
      throw new Error(`${s.name}: invalid cron "${s.cron}"${s.timezone ? ` in ${s.timezone}` : ''}: ${(err as Error).message}`)
    }
    if (!/^[a-z0-9-]+$/.test(s.name)) throw new Error(`${s.name}: task names are lowercase letters, digits and dashes`)
  }
  const maxTriggers = options.maxWorkersTriggers ?? WORKERS_FREE_CRON_LIMIT
  const plan = planWorkersTriggers(schedules, maxTriggers)
  const distinct = new Set(schedules.map((s) => s.cron)).size
  if (plan.folded) {
    warnings.push(`${schedules.length} tasks need more than ${maxTriggers} Workers cron triggers: folded into one every-minute tick that runs each task at its own occurrences`)
  } else if (schedules.length > distinct) {
    warnings.push(`${schedules.length - distinct} task(s) share a cron with another: merged into ${plan.crons.length} Workers cron triggers`)
  }

  const wrangler = [BEGIN, '[triggers]', `crons = [${plan.crons.map((c) => JSON.stringify(c)).join(', ')}]`, END].join('\n')

  // Scheduler hands the occurrence's time to the task route, so a retried delivery is the same ledger occurrence.
  const serverless = [`    ${BEGIN}`, ...renderSchedulerResources(schedulerSchedules(schedules)), `    ${END}`].join('\n')
  return { wrangler, serverless, warnings }
}

/**
 * `text` with the marked block replaced by `block`. Without both markers nothing is written: where
 * the block goes decides what the platform makes of it (appended to serverless.yml it would land in
 * `resources:`, and no schedule would reach AWS), so a person places the markers once.
 */
export function replaceBlock(text: string, block: string, file = 'the file', markers: { begin: string; end: string; where: string } = { begin: BEGIN, end: END, where: 'the triggers belong (serverless.yml: under resources.Resources; wrangler.toml: at the top level)' }): string {
  const start = text.indexOf(markers.begin)
  const end = text.indexOf(markers.end)
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`${file}: the ${markers.begin.split(' ')[2]} markers are missing; put these two lines where ${markers.where}:\n${markers.begin}\n${markers.end}`)
  }
  const lineStart = text.lastIndexOf('\n', start) + 1
  const lineEnd = text.indexOf('\n', end)
  return text.slice(0, lineStart) + block + (lineEnd === -1 ? '\n' : text.slice(lineEnd))
}
