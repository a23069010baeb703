/**
 * `npm run monitor`: Postgres connections and the schedules' health at a glance, for humans (a table)
 * and for cron or alerting (`--json`, exit codes 0 ok / 1 warn / 2 critical: a schedule missing or
 * failing is critical, a late one a warning). Reads DATABASE_URL, or the embedded database of
 * a running `npm start`. Works with an ordinary role: what it may not see is reported as hidden or
 * unavailable, never as zero.
 *
 *   npm run monitor -- [--once] [--json] [--watch <s>] [--warn 100] [--critical 150]
 *                      [--long <s>] [--idle-tx <s>] [--app <application_name>] [--budget <connections>]
 *                      [--terminate-idle-older-than <duration> --yes]
 */
import { parseArgs } from 'node:util'
import pg from 'pg'
import { schedules } from '../cron/schedules.js'
import { levelOf, scheduleLevel, scheduleSection, takeSnapshot, terminateIdleInTransaction, worstLevel, type Level, type Snapshot } from '../src/ops/monitor.js'
import { readStartState } from './lib/start-state.js'
import { formatSnapshot } from './lib/monitor-format.js'
import { parseDuration } from './lib/duration.js'

const { values: o } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    watch: { type: 'string' },
    warn: { type: 'string', default: '100' },
    critical: { type: 'string', default: '150' },
    long: { type: 'string', default: '30' },
    'idle-tx': { type: 'string', default: '60' },
    app: { type: 'string', default: process.env.DB_APPLICATION_NAME ?? 'lowtide' },
    budget: { type: 'string', default: process.env.DB_CONNECTION_BUDGET },
    'terminate-idle-older-than': { type: 'string' },
    yes: { type: 'boolean', default: false },
  },
})

const exitCodes: Record<Level, number> = { ok: 0, warn: 1, critical: 2 }


function fail(message: string): never {
  console.error(`monitor: ${message}`)
  process.exit(3)
}

const url = process.env.DATABASE_URL ?? readStartState()?.url
if (!url) fail('set DATABASE_URL, or start the app with npm start first')
const thresholds = { warn: Number(o.warn), critical: Number(o.critical) }
if (!(thresholds.warn > 0 && thresholds.critical >= thresholds.warn)) fail('--warn must be > 0 and --critical ≥ --warn')
const budget = o.budget === undefined ? undefined : Number(o.budget)
if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) fail(`--budget (or DB_CONNECTION_BUDGET) must be a whole number > 0 (got ${JSON.stringify(o.budget)})`)
let options: { longQueryS: number; idleInTransactionS: number; applicationName: string; budget?: number }
try {
  options = { longQueryS: parseDuration(o.long!), idleInTransactionS: parseDuration(o['idle-tx']!), applicationName: o.app!, ...(budget ? { budget } : {}) }
} catch (err) {
  fail((err as Error).message)
}

const client = new pg.Client({ connectionString: url, application_name: 'lowtide-monitor' })
await client.connect().catch((err: Error) => fail(`cannot connect: ${err.message}`))

let exitCode = 0
try {
  if (o['terminate-idle-older-than']) {
    let olderThanS = 0
    try {
      olderThanS = parseDuration(o['terminate-idle-older-than'])
    } catch (err) {
      fail((err as Error).message)
    }
    if (!o.yes) fail(`--terminate-idle-older-than ends sessions of "${o.app}": add --yes to do it`)
    const ended = await terminateIdleInTransaction(client, o.app!, olderThanS)
    if (o.json) console.log(JSON.stringify({ terminated: ended }))
    else console.log(ended.length ? ended.map((s) => `terminated pid ${s.pid} (${s.applicationName}, idle in transaction ${Math.round(s.seconds ?? 0)} s): ${s.query ?? ''}`).join('\n') : `no session of "${o.app}" idle in transaction for over ${olderThanS} s`)
    exitCode = 0
  } else {
    const watchS = o.watch ? parseDuration(o.watch) : undefined
    let snapshot: Snapshot
    for (;;) {
      snapshot = await takeSnapshot(client, options)
      const health = await scheduleSection(client, schedules)
      const level = worstLevel(levelOf(snapshot, thresholds), scheduleLevel(health))
      if (o.json) console.log(JSON.stringify({ level, thresholds, ...snapshot, schedules: health }))
      else {
        if (watchS && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H')
        console.log(formatSnapshot(snapshot, level, thresholds, options, health))
      }
      exitCode = exitCodes[level]
      if (!watchS || o.once) break
      await new Promise((r) => setTimeout(r, watchS * 1000))
    }
  }
} finally {
  await client.end()
}
process.exit(exitCode)
