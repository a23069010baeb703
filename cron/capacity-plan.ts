/**
 * The connection budget (capacity.ts) as the platforms' caps, and the worst case they allow:
 *
 *   worst case = Σ Lambda functions (environments × DB_POOL_MAX) + Workers' peak requests
 *                + Cloudflare Queues consumers × deliveries each
 *
 * where a Lambda function's environments are its reserved concurrency, or the account's whole
 * concurrency without one. The SQS consumer holds no connection: its deliveries run in the api, so
 * they are counted there; its cap keeps a burst in the queue instead of fanning out into the api.
 */
import { QUEUE_CONSUMER_CONCURRENCY } from '../src/queue/cloudflare-queue.js'
import { SQS_DELIVERY_CONCURRENCY } from '../src/queue/sqs-batch.js'
import { cronFor, type Schedule } from '../src/tasks/triggers.js'
import type { ConnectionBudget } from './capacity.js'

/** What the platforms take: an SQS event source's MaximumConcurrency, a Queues consumer's max_concurrency. */
export const PLATFORM_LIMITS = { sqsMaximumConcurrency: [2, 1000], queuesMaxConcurrency: [1, 250] } as const

export interface Caps {
  /** The api function's reserved concurrency; undefined: none (the worst case fits without). */
  apiReservedConcurrency: number | undefined
  tasksReservedConcurrency: number
  sqsMaximumConcurrency: number
  queuesMaxConcurrency: number
}

/** What the deployment files say, for the arithmetic: a function without reserved concurrency has none. */
export interface Deployed {
  apiPoolMax: number
  tasksPoolMax: number
  apiReservedConcurrency: number | undefined
  tasksReservedConcurrency: number | undefined
  sqsMaximumConcurrency: number
  queuesMaxConcurrency: number
}

export interface WorstCase {
  lines: { what: string; connections: number; why: string }[]
  total: number
  budget: number
  fits: boolean
}

const clamp = (n: number, [lo, hi]: readonly [number, number]) => Math.max(lo, Math.min(hi, n))

/**
 * The most schedules that fall on one minute, over a week from `from`: the tasks function needs that
 * many environments at once (each task holds its lease; more would wait for nothing), fewer and
 * EventBridge Scheduler retries the throttled ones.
 */
export function peakSchedulesPerMinute(schedules: readonly Schedule[], from = new Date()): number {
  // Every-minute schedules are due at every minute; the others are counted where they fall.
  const everyMinute = schedules.filter((s) => /^(\*|\*\/1) \* \* \* \*$/.test(s.cron.trim())).length
  const start = new Date(Math.floor(from.getTime() / 60_000) * 60_000 - 1000)
  const weekEnd = start.getTime() + 7 * 86_400_000
  const perMinute = new Map<number, number>()
  for (const s of schedules) {
    if (/^(\*|\*\/1) \* \* \* \*$/.test(s.cron.trim())) continue
    const cron = cronFor(s)
    for (let at = cron.nextRun(start); at && at.getTime() < weekEnd; at = cron.nextRun(at)) perMinute.set(at.getTime(), (perMinute.get(at.getTime()) ?? 0) + 1)
  }
  return Math.max(1, everyMinute + Math.max(0, ...perMinute.values()))
}

/** The caps the budget implies, given the functions' pool sizes. */
export function planCaps(budget: ConnectionBudget, schedules: readonly Schedule[], pools: { apiPoolMax: number; tasksPoolMax: number }): Caps {
  const queueConnections = budget.queueShare * budget.connections
  const tasksReservedConcurrency = peakSchedulesPerMinute(schedules)
  const sqsMaximumConcurrency = clamp(Math.floor(queueConnections / (SQS_DELIVERY_CONCURRENCY * pools.apiPoolMax)), PLATFORM_LIMITS.sqsMaximumConcurrency)
  const queuesMaxConcurrency = clamp(Math.floor(queueConnections / QUEUE_CONSUMER_CONCURRENCY), PLATFORM_LIMITS.queuesMaxConcurrency)
  const others = tasksReservedConcurrency * pools.tasksPoolMax + budget.workersPeakRequests + queuesMaxConcurrency * QUEUE_CONSUMER_CONCURRENCY
  const uncapped = budget.lambdaAccountConcurrency * pools.apiPoolMax + others
  // Straight to Postgres a request beyond its connections is refused; behind a pooler it waits there.
  const apiReservedConcurrency = budget.reaches === 'postgres' || uncapped > budget.connections ? Math.max(1, Math.floor((budget.connections - others) / pools.apiPoolMax)) : undefined
  return { apiReservedConcurrency, tasksReservedConcurrency, sqsMaximumConcurrency, queuesMaxConcurrency }
}

export function worstCase(budget: ConnectionBudget, d: Deployed): WorstCase {
  const environments = (reserved: number | undefined) => reserved ?? budget.lambdaAccountConcurrency
  const envWhy = (reserved: number | undefined) => (reserved === undefined ? `no reserved concurrency: the account's ${budget.lambdaAccountConcurrency}` : 'reserved concurrency')
  const lines = [
    { what: 'Lambda api', connections: environments(d.apiReservedConcurrency) * d.apiPoolMax, why: `${environments(d.apiReservedConcurrency)} environments (${envWhy(d.apiReservedConcurrency)}) × DB_POOL_MAX ${d.apiPoolMax}` },
    { what: 'Lambda tasks', connections: environments(d.tasksReservedConcurrency) * d.tasksPoolMax, why: `${environments(d.tasksReservedConcurrency)} environments (${envWhy(d.tasksReservedConcurrency)}) × DB_POOL_MAX ${d.tasksPoolMax}` },
    { what: 'Lambda sqs-consumer', connections: 0, why: `holds none: its deliveries (≤ ${d.sqsMaximumConcurrency} batches × ${SQS_DELIVERY_CONCURRENCY} at once) run in the api, counted above` },
    { what: 'Workers requests', connections: budget.workersPeakRequests, why: `${budget.workersPeakRequests} at the peak (capacity.ts), a connection each` },
    { what: 'Workers queue consumers', connections: d.queuesMaxConcurrency * QUEUE_CONSUMER_CONCURRENCY, why: `${d.queuesMaxConcurrency} (max_concurrency) × ${QUEUE_CONSUMER_CONCURRENCY} deliveries at once` },
  ]
  const total = lines.reduce((n, l) => n + l.connections, 0)
  return { lines, total, budget: budget.connections, fits: total <= budget.connections }
}

/** The arithmetic, one line per term: what `cron:check` prints. */
export function formatWorstCase(w: WorstCase, budget: ConnectionBudget): string {
  const width = Math.max(...w.lines.map((l) => l.what.length))
  const digits = String(Math.max(w.total, w.budget)).length
  return [
    ...w.lines.map((l) => `  ${l.what.padEnd(width)}  ${String(l.connections).padStart(digits)}  ${l.why}`),
    `  ${'worst case'.padEnd(width)}  ${String(w.total).padStart(digits)}  ${w.fits ? '≤' : '>'} the budget of ${w.budget} connections at ${budget.reaches === 'pooler' ? 'the pooler' : 'Postgres'} (cron/capacity.ts)`,
  ].join('\n')
}
