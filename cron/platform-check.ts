/**
 * Reads wrangler.toml and serverless.yml back the way Cloudflare and the Serverless Framework do
 * (TOML and YAML parsers, not text search) and says where they disagree with the registry: every
 * entry must be exactly one schedule event on the `tasks` function, with its cron and its input, and
 * its cron a Workers trigger. `cron:sync` refuses to write, and `cron:check` fails, on any of these.
 */
import { parse as parseToml } from 'smol-toml'
import type { ScheduleEntry } from '../src/tasks/types.js'
import { parseServerlessYaml } from './serverless-yaml.js'
import { ownTrigger, planWorkersTriggers } from '../src/tasks/triggers.js'
import { toAwsCron, WORKERS_FREE_CRON_LIMIT } from './triggers.js'

export const TASKS_FUNCTION = 'tasks'

interface ScheduleEvent {
  name?: unknown
  rate?: unknown
  inputTransformer?: { inputPathsMap?: Record<string, unknown>; inputTemplate?: unknown }
}

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
  const fn = functions[TASKS_FUNCTION]
  if (!fn) return [`serverless.yml: no functions.${TASKS_FUNCTION} (functions: ${Object.keys(functions).join(', ') || 'none'}): no schedule would reach AWS`, ...problems]
  for (const [name, other] of Object.entries(functions)) {
    const stray = (other.events ?? []).filter((e) => 'schedule' in e).length
    if (name !== TASKS_FUNCTION && stray) problems.push(`serverless.yml: functions.${name} has ${stray} schedule event(s); the registry's belong to functions.${TASKS_FUNCTION}`)
  }
  const events = (fn.events ?? []).map((e) => e.schedule as ScheduleEvent | undefined).filter((e): e is ScheduleEvent => e !== undefined)
  const byTask = new Map<string, ScheduleEvent[]>()
  for (const event of events) {
    const task = taskOfInput(event.inputTransformer?.inputTemplate)
    byTask.set(task ?? '(no task)', [...(byTask.get(task ?? '(no task)') ?? []), event])
  }
  for (const entry of schedules) {
    const found = byTask.get(entry.name) ?? []
    if (found.length !== 1) {
      problems.push(`serverless.yml: ${entry.name} has ${found.length} schedule events on functions.${TASKS_FUNCTION}, expected 1`)
      continue
    }
    const event = found[0]!
    if (event.rate !== toAwsCron(entry.cron)) problems.push(`serverless.yml: ${entry.name} runs at ${JSON.stringify(event.rate)}, the registry says ${toAwsCron(entry.cron)}`)
    if (event.name !== `\${self:service}-\${sls:stage}-${entry.name}`) problems.push(`serverless.yml: ${entry.name}'s rule is named ${JSON.stringify(event.name)}; functions/lambda.ts finds tasks by <service>-<stage>-<task>`)
    if (event.inputTransformer?.inputPathsMap?.time !== '$.time') problems.push(`serverless.yml: ${entry.name}'s input does not carry the event's time ($.time)`)
  }
  for (const task of byTask.keys()) if (!schedules.some((s) => s.name === task)) problems.push(`serverless.yml: a schedule event for ${task}, which the registry does not have`)
  return problems
}

/** The task an input template names: the template with its `<time>` placeholder filled is JSON. */
function taskOfInput(template: unknown): string | undefined {
  if (typeof template !== 'string') return undefined
  try {
    const input = JSON.parse(template.replace(/<time>/g, '"2026-01-01T00:00:00Z"')) as { lowtideTask?: unknown }
    return typeof input.lowtideTask === 'string' ? input.lowtideTask : undefined
  } catch {
    return undefined
  }
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
