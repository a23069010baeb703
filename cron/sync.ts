/**
 * `npm run cron:sync` writes the registry's triggers into wrangler.toml and serverless.yml, the
 * outbox's Cloudflare queue (cron/queues.ts) into wrangler.toml, and the caps the connection budget
 * implies (cron/capacity.ts) into both; `npm run cron:check` (`--check`)
 * changes nothing and exits 1 if either file has drifted. Both read the result back as the platforms
 * will (platform-check.ts) and refuse a file that would not run every task or deliver the outbox, or whose worst case
 * exceeds the connection budget (printing the arithmetic),
 * and both print the platform warnings (merged crons, Workers' cron trigger limit).
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { platformLimits, schedules } from './schedules.js'
import { serverlessProblems, wranglerProblems, wranglerQueueProblems } from './platform-check.js'
import { connectionBudget, type ConnectionBudget } from './capacity.js'
import { formatWorstCase, planCaps, worstCase } from './capacity-plan.js'
import { readDeployed, renderServerlessCaps, renderWranglerVars } from './capacity-sync.js'
import { cloudflareOutboxQueue, QUEUES_BEGIN, QUEUES_END, renderQueues, type CloudflareOutboxQueue } from './queues.js'
import { renderTriggers, replaceBlock } from './triggers.js'
import type { ScheduleEntry } from '../src/tasks/types.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface TriggerFiles {
  wranglerPath: string
  serverlessPath: string
}

export const repoFiles: TriggerFiles = { wranglerPath: `${ROOT}wrangler.toml`, serverlessPath: `${ROOT}serverless.yml` }

const queueMarkers = { begin: QUEUES_BEGIN, end: QUEUES_END, where: "the outbox's queues belong in wrangler.toml (after every top-level key, e.g. at the end)" }

export function planSync(
  entries: readonly ScheduleEntry[],
  files: TriggerFiles = repoFiles,
  maxWorkersTriggers = platformLimits.workersCronTriggers,
  queue: CloudflareOutboxQueue = cloudflareOutboxQueue,
  budget: ConnectionBudget = connectionBudget,
) {
  const rendered = renderTriggers(entries, { maxWorkersTriggers })
  const wrangler = fs.readFileSync(files.wranglerPath, 'utf8')
  const serverless = fs.readFileSync(files.serverlessPath, 'utf8')
  const pools = readDeployed(serverless, wrangler)
  const caps = planCaps(budget, entries, pools)
  const next = {
    wrangler: renderWranglerVars(replaceBlock(replaceBlock(wrangler, rendered.wrangler, files.wranglerPath), renderQueues(queue, caps.queuesMaxConcurrency), files.wranglerPath, queueMarkers), budget, files.wranglerPath),
    serverless: renderServerlessCaps(replaceBlock(serverless, rendered.serverless, files.serverlessPath), budget, caps, files.serverlessPath),
  }
  const drifted = [next.wrangler !== wrangler ? files.wranglerPath : undefined, next.serverless !== serverless ? files.serverlessPath : undefined].filter(
    (f): f is string => f !== undefined,
  )
  /** What the platforms would make of the files as they would be written. */
  const problemsOf = (w: string, s: string) => {
    const capacity = worstCase(budget, readDeployed(s, w))
    const overBudget = capacity.fits ? [] : [`the worst case exceeds the connection budget:\n${formatWorstCase(capacity, budget)}`]
    return [...wranglerProblems(w, entries, maxWorkersTriggers), ...wranglerQueueProblems(w, queue), ...serverlessProblems(s, entries), ...overBudget]
  }
  const problems = problemsOf(next.wrangler, next.serverless)
  /** What the platforms make of the files as they are: why `cron:check` fails. */
  const current = drifted.length ? problemsOf(wrangler, serverless) : []
  const capacity = worstCase(budget, readDeployed(next.serverless, next.wrangler))
  return { next, drifted, problems, current, warnings: rendered.warnings, capacity: formatWorstCase(capacity, budget) }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check')
  const maxFlag = process.argv.indexOf('--max-triggers')
  const maxTriggers = maxFlag === -1 ? platformLimits.workersCronTriggers : Number(process.argv[maxFlag + 1])
  if (!Number.isInteger(maxTriggers) || maxTriggers < 1) {
    console.error(`cron:${check ? 'check' : 'sync'}: --max-triggers wants a whole number ≥ 1 (got ${JSON.stringify(process.argv[maxFlag + 1] ?? null)})`)
    process.exit(2)
  }
  let plan: ReturnType<typeof planSync>
  try {
    plan = planSync(schedules, repoFiles, maxTriggers)
  } catch (err) {
    console.error(`cron:${check ? 'check' : 'sync'}: ${(err as Error).message}`)
    process.exit(1)
  }
  for (const w of plan.warnings) console.warn(`warning: ${w}`)
  if (plan.problems.length) {
    console.error(`cron:${check ? 'check' : 'sync'}: the platforms would not run the registry as written:\n${plan.problems.map((p) => `  - ${p}`).join('\n')}`)
    process.exit(1)
  }
  if (check) {
    if (plan.drifted.length) {
      const why = plan.current.map((p) => `\n  - ${p}`).join('')
      console.error(`cron:check: out of date with cron/schedules.ts: ${plan.drifted.join(', ')}${why}\nrun: npm run cron:sync${maxFlag === -1 ? '' : ` -- --max-triggers ${maxTriggers}`}`)
      process.exit(1)
    }
    console.log(`cron:check: wrangler.toml and serverless.yml match the registry (${schedules.length} tasks), cron/queues.ts and cron/capacity.ts\n${plan.capacity}`)
  } else {
    fs.writeFileSync(repoFiles.wranglerPath, plan.next.wrangler)
    fs.writeFileSync(repoFiles.serverlessPath, plan.next.serverless)
    console.log(`${plan.drifted.length ? `cron:sync: updated ${plan.drifted.join(', ')}` : 'cron:sync: already up to date'}\n${plan.capacity}`)
  }
}
