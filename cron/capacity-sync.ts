/**
 * The connection budget's caps written into serverless.yml and wrangler.toml, each in a marked
 * block of its own at its place (a function's `reservedConcurrency`, the SQS event's
 * `maximumConcurrency`, `DB_CONNECTION_BUDGET` in the environment), and read back from the files as
 * the platforms will read them, for the worst case `cron:check` computes.
 */
import { parse as parseToml } from 'smol-toml'
import type { ConnectionBudget } from './capacity.js'
import type { Caps, Deployed } from './capacity-plan.js'
import { parseServerlessYaml } from './serverless-yaml.js'
import { replaceBlock } from './triggers.js'

const begin = (key: string) => `# >>> capacity:sync ${key} — generated from cron/capacity.ts by \`npm run cron:sync\`; edit that file, not this block`
const end = (key: string) => `# <<< capacity:sync ${key}`

/** Where each block goes, for the message when its markers are missing. */
const PLACES: Record<string, string> = {
  env: 'serverless.yml: inside custom.appEnvironment',
  api: 'serverless.yml: inside functions.api',
  tasks: 'serverless.yml: inside functions.tasks',
  sqs: 'serverless.yml: inside the sqs event of functions.sqs-consumer',
  vars: 'wrangler.toml: inside [vars]',
}

/** Replaces the block `key` with `lines`, indented as its begin marker is. */
export function replaceCapacityBlock(text: string, key: string, lines: string[], file: string): string {
  const at = text.indexOf(begin(key))
  const indent = at === -1 ? '' : text.slice(text.lastIndexOf('\n', at) + 1, at)
  const block = [begin(key), ...lines, end(key)].map((l) => indent + l).join('\n')
  return replaceBlock(text, block, file, { begin: begin(key), end: end(key), where: PLACES[key] ?? 'it belongs' })
}

export function renderServerlessCaps(text: string, budget: ConnectionBudget, caps: Caps, file = 'serverless.yml'): string {
  let out = replaceCapacityBlock(text, 'env', [`DB_CONNECTION_BUDGET: '${budget.connections}'`], file)
  out = replaceCapacityBlock(
    out,
    'api',
    caps.apiReservedConcurrency === undefined
      ? [`# No reserved concurrency: behind the pooler, the account's ${budget.lambdaAccountConcurrency} environments fit the budget.`]
      : [`# At most this many environments × DB_POOL_MAX connections (API Gateway answers 429 beyond).`, `reservedConcurrency: ${caps.apiReservedConcurrency}`],
    file,
  )
  out = replaceCapacityBlock(out, 'tasks', ['# The most schedules due in one minute: each holds its lease, more would wait for nothing.', `reservedConcurrency: ${caps.tasksReservedConcurrency}`], file)
  out = replaceCapacityBlock(out, 'sqs', ['# Concurrent batches: beyond them, messages wait in the queue instead of fanning out into the api.', `maximumConcurrency: ${caps.sqsMaximumConcurrency}`], file)
  return out
}

export function renderWranglerVars(text: string, budget: ConnectionBudget, file = 'wrangler.toml'): string {
  return replaceCapacityBlock(text, 'vars', [`DB_CONNECTION_BUDGET = "${budget.connections}"`], file)
}

/** The numbers the worst case is made of, as the files say them. */
export function readDeployed(serverlessText: string, wranglerText: string): Deployed {
  const doc = parseServerlessYaml(serverlessText)
  const fn = (name: string) => (doc.functions?.[name] ?? {}) as { reservedConcurrency?: number; environment?: unknown; events?: { sqs?: { maximumConcurrency?: number } }[] }
  const appEnvironment = ((doc.custom as Record<string, unknown> | undefined)?.appEnvironment ?? {}) as Record<string, unknown>
  const poolMax = (name: string) => {
    const own = fn(name).environment
    const env = typeof own === 'object' && own !== null ? (own as Record<string, unknown>) : appEnvironment
    return Number(env.DB_POOL_MAX ?? 2) // the Lambda default when unset
  }
  const wrangler = parseToml(wranglerText) as { queues?: { consumers?: { max_concurrency?: number }[] } }
  return {
    apiPoolMax: poolMax('api'),
    tasksPoolMax: poolMax('tasks'),
    apiReservedConcurrency: fn('api').reservedConcurrency,
    tasksReservedConcurrency: fn('tasks').reservedConcurrency,
    sqsMaximumConcurrency: fn('sqs-consumer').events?.find((e) => e.sqs)?.sqs?.maximumConcurrency ?? PLATFORM_MAX_SQS,
    // Cloudflare's default without max_concurrency: as many as it takes, up to its limit.
    queuesMaxConcurrency: wrangler.queues?.consumers?.[0]?.max_concurrency ?? 250,
  }
}

const PLATFORM_MAX_SQS = 1000
