/**
 * Reads wrangler.toml and serverless.yml back the way Cloudflare and the Serverless Framework do
 * (TOML and YAML parsers, not text search) and says where they disagree with the registry: every
 * entry must be its EventBridge Scheduler schedule(s) on the `tasks` function, and have its Workers
 * trigger (its own, its zone's UTC cover, or the folded tick). `cron:sync` refuses to write, and `cron:check` fails, on any of these.
 */
import { parse as parseToml } from 'smol-toml'
import type { ScheduleEntry } from '../src/tasks/types.js'
import { parseServerlessYaml } from './serverless-yaml.js'
import { ownTrigger, planWorkersTriggers } from '../src/tasks/triggers.js'
import { schedulerInput, schedulerSchedules, SCHEDULE_GROUP, SCHEDULER_ROLE, TASKS_LAMBDA } from './scheduler.js'
import { WORKERS_FREE_CRON_LIMIT } from './triggers.js'
import { QUEUE_LIMITS, type CloudflareOutboxQueue } from './queues.js'

export const TASKS_FUNCTION = 'tasks'

interface SchedulerResource {
  Type?: unknown
  Properties?: {
    ScheduleExpression?: unknown
    ScheduleExpressionTimezone?: unknown
    FlexibleTimeWindow?: { Mode?: unknown }
    State?: unknown
    Target?: { Arn?: unknown; RoleArn?: unknown; Input?: unknown; RetryPolicy?: { MaximumRetryAttempts?: unknown; MaximumEventAgeInSeconds?: unknown }; DeadLetterConfig?: { Arn?: unknown } }
  }
}

const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] })

/**
 * serverless.yml against the registry: each entry is one EventBridge Scheduler schedule (and its
 * gap schedule, if it has one) with its cron, zone, input, retry policy and dead-letter queue, on
 * the tasks function through Scheduler's role; no other schedule names a task, and no EventBridge
 * rule (a `schedule` event) would run one a second time.
 */
export function serverlessProblems(text: string, schedules: readonly ScheduleEntry[]): string[] {
  let config
  try {
    config = parseServerlessYaml(text)
  } catch (err) {
    return [`serverless.yml is not valid YAML: ${(err as Error).message.split('\n')[0]}`]
  }
  const problems: string[] = []
  const stray = Object.keys(config.resources ?? {}).filter((k) => !['Resources', 'Outputs', 'Conditions', 'Parameters', 'Mappings', 'Metadata', 'Description', 'Transform'].includes(k))
  if (stray.length) problems.push(`serverless.yml: resources has ${stray.join(', ')}, which CloudFormation rejects (a block in the wrong place?)`)
  const functions = config.functions ?? {}
  if (!functions[TASKS_FUNCTION]) problems.push(`serverless.yml: no functions.${TASKS_FUNCTION} (functions: ${Object.keys(functions).join(', ') || 'none'}): no schedule would reach a function`)
  for (const [name, fn] of Object.entries(functions)) {
    const rules = (fn.events ?? []).filter((e) => 'schedule' in e).length
    if (rules) problems.push(`serverless.yml: functions.${name} has ${rules} schedule event(s): EventBridge rules beside the registry's Scheduler schedules would run tasks twice`)
  }
  const resources = (config.resources?.Resources ?? {}) as Record<string, SchedulerResource>
  for (const [id, type] of [[SCHEDULER_ROLE, 'AWS::IAM::Role'], [SCHEDULE_GROUP, 'AWS::Scheduler::ScheduleGroup']] as const) {
    if (resources[id]?.Type !== type) problems.push(`serverless.yml: resources.Resources.${id} is not an ${type}; the schedules need it`)
  }
  let expected
  try {
    expected = schedulerSchedules(schedules)
  } catch (err) {
    return [...problems, `serverless.yml: ${(err as Error).message}`]
  }
  for (const want of expected) {
    const got = resources[want.logicalId]
    const where = `serverless.yml: ${want.logicalId} (${want.task}${want.kind === 'gap' ? ', gap' : ''})`
    if (got?.Type !== 'AWS::Scheduler::Schedule') {
      problems.push(`${where}: no AWS::Scheduler::Schedule, so ${want.task} would not run on AWS`)
      continue
    }
    const p = got.Properties ?? {}
    const check = (what: string, actual: unknown, wanted: unknown) => {
      if (JSON.stringify(actual) !== JSON.stringify(wanted)) problems.push(`${where}: ${what} is ${JSON.stringify(actual)}, the registry says ${JSON.stringify(wanted)}`)
    }
    check('ScheduleExpression', p.ScheduleExpression, want.expression)
    check('ScheduleExpressionTimezone', p.ScheduleExpressionTimezone, want.timezone)
    check('FlexibleTimeWindow.Mode', p.FlexibleTimeWindow?.Mode, 'OFF')
    check('Target.Arn', p.Target?.Arn, getAtt(TASKS_LAMBDA, 'Arn'))
    check('Target.RoleArn', p.Target?.RoleArn, getAtt(SCHEDULER_ROLE, 'Arn'))
    check('Target.Input', p.Target?.Input, schedulerInput(want.task))
    check('Target.RetryPolicy', p.Target?.RetryPolicy, { MaximumRetryAttempts: want.retryAttempts, MaximumEventAgeInSeconds: want.maxEventAgeSeconds })
    check('Target.DeadLetterConfig.Arn', p.Target?.DeadLetterConfig?.Arn, getAtt(want.deadLetterQueue, 'Arn'))
    if (resources[want.deadLetterQueue]?.Type !== 'AWS::SQS::Queue') problems.push(`${where}: its dead-letter queue ${want.deadLetterQueue} is not an AWS::SQS::Queue in resources.Resources`)
  }
  const known = new Set(expected.map((e) => e.logicalId))
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Scheduler::Schedule' && !known.has(id)) problems.push(`serverless.yml: ${id} is a schedule the registry does not have (input ${JSON.stringify(r.Properties?.Target?.Input)})`)
  }
  return problems
}

export function wranglerProblems(text: string, schedules: readonly ScheduleEntry[], maxTriggers = WORKERS_FREE_CRON_LIMIT): string[] {
  let config: { triggers?: { crons?: unknown } }
  try {
    config = parseToml(text) as typeof config
  } catch (err) {
    return [`wrangler.toml is not valid TOML: ${(err as Error).message.split('\n')[0]}`]
  }
  const crons = Array.isArray(config.triggers?.crons) ? (config.triggers.crons as unknown[]) : []
  const plan = planWorkersTriggers(schedules, maxTriggers)
  const expected = plan.crons
  const missing = expected.filter((c) => !crons.includes(c))
  const extra = crons.filter((c) => !expected.includes(c as string))
  const firedBy = (cron: string) => (plan.folded ? 'every task, folded' : schedules.filter((s) => ownTrigger(s) === cron).map((s) => s.name).join(', '))
  return [
    ...(crons.length > maxTriggers ? [`wrangler.toml: ${crons.length} cron triggers, over the limit of ${maxTriggers} (run npm run cron:sync, which folds them into one tick)`] : []),
    ...missing.map((c) => `wrangler.toml: no cron trigger ${JSON.stringify(c)} (for ${firedBy(c)})`),
    ...extra.map((c) => {
      const own = schedules.filter((s) => ownTrigger(s) === c || s.cron === c).map((s) => s.name)
      return own.length && plan.folded
        ? `wrangler.toml: cron trigger ${JSON.stringify(c)} is not in the folded plan: ${own.join(', ')} would run from it and from the tick`
        : `wrangler.toml: cron trigger ${JSON.stringify(c)} runs no registered task`
    }),
  ]
}

interface WranglerQueues {
  queues?: {
    producers?: { binding?: unknown; queue?: unknown }[]
    consumers?: { queue?: unknown; max_batch_size?: unknown; max_batch_timeout?: unknown; max_retries?: unknown; retry_delay?: unknown; dead_letter_queue?: unknown }[]
  }
}

/**
 * wrangler.toml's queues against cron/queues.ts, read as TOML: the outbox's producer binding, its
 * consumer with the dead-letter queue, the dead-letter queue's consumer, each setting within
 * Cloudflare's limits.
 */
export function wranglerQueueProblems(text: string, q: CloudflareOutboxQueue): string[] {
  let config: WranglerQueues
  try {
    config = parseToml(text) as WranglerQueues
  } catch (err) {
    return [`wrangler.toml is not valid TOML: ${(err as Error).message.split('\n')[0]}`]
  }
  const problems: string[] = []
  const producers = config.queues?.producers ?? []
  const consumers = config.queues?.consumers ?? []
  const producer = producers.find((p) => p.binding === q.binding)
  if (!producer) problems.push(`wrangler.toml: no [[queues.producers]] with binding "${q.binding}": the outbox would not publish to Cloudflare Queues`)
  else if (producer.queue !== q.queue) problems.push(`wrangler.toml: the ${q.binding} producer sends to ${JSON.stringify(producer.queue)}, cron/queues.ts says "${q.queue}"`)
  const consumer = consumers.find((c) => c.queue === q.queue)
  if (!consumer) problems.push(`wrangler.toml: no [[queues.consumers]] for "${q.queue}": nothing would deliver the outbox's messages`)
  else if (consumer.dead_letter_queue !== q.deadLetterQueue) problems.push(`wrangler.toml: the "${q.queue}" consumer's dead_letter_queue is ${JSON.stringify(consumer.dead_letter_queue)}, cron/queues.ts says "${q.deadLetterQueue}"`)
  if (!consumers.some((c) => c.queue === q.deadLetterQueue)) problems.push(`wrangler.toml: no [[queues.consumers]] for "${q.deadLetterQueue}": dead-lettered rows would stay pending and be republished forever`)
  if (q.queue === q.deadLetterQueue) problems.push(`cron/queues.ts: the dead-letter queue must differ from the queue ("${q.queue}")`)
  const limits: [string, keyof typeof QUEUE_LIMITS][] = [['max_batch_size', 'maxBatchSize'], ['max_batch_timeout', 'maxBatchTimeoutS'], ['max_retries', 'maxRetries'], ['retry_delay', 'retryDelayS']]
  for (const c of consumers) {
    for (const [key, limit] of limits) {
      const value = c[key as keyof typeof c]
      const [min, max] = QUEUE_LIMITS[limit]
      if (value !== undefined && (typeof value !== 'number' || value < min || value > max)) problems.push(`wrangler.toml: queue "${String(c.queue)}": ${key} = ${JSON.stringify(value)} is outside Cloudflare's ${min}–${max}`)
    }
  }
  return problems
}
