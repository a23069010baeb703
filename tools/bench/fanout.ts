/**
 * `npm run bench:fanout [-- --n 10,50,100,200 --seconds 4 --budget 20 --out DIR]`: many instances, one
 * database. N Lambda execution environments (each its own `createLambdaHandler` and pool, spread over
 * a few processes: tools/bench/fanout-worker.ts) in a closed loop of authenticated GETs against a
 * Postgres role limited to `budget` connections — fewer than N × DB_POOL_MAX. Side by side, for each N:
 *
 *   direct                        lowtide's Lambda settings (serverless.yml: pool 2, idle 1 s), straight to Postgres
 *   direct, no connect retry      the same with DB_CONNECT_RETRY=off: a refused connect answers 503 at once
 *   direct, reserved concurrency  budget ÷ pool environments; the other clients get API Gateway's 429
 *   PgBouncer                     the same environments through PgBouncer (transaction mode, pool budget − 2)
 *   per request via PgBouncer     a connection per request (Workers), through PgBouncer: Hyperdrive's stand-in
 *   seeds' config                 pool 10 per instance, idle timeout 10 min, straight to Postgres: the control
 *
 * Prints a table (2xx %, statuses by code, 2xx/s, p50/p99 of 2xx, peak server connections of the role,
 * server connections 5 s after the load) and writes report.json and fanout.svg into DIR.
 * Bounded: N ≤ 500 environments, ≤ 30 s a side.
 */
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { generateApiKey } from '../../src/domain/accounts/api-keys.js'
import { startEmbeddedPostgres } from '../lib/embedded-postgres.js'
import { migrateDatabase } from '../lib/migrations.js'
import { startPgBouncer } from '../lib/pgbouncer.js'
import { linesSvg } from '../lib/stress/lines.js'
import type { FanoutWorkerConfig, FanoutWorkerResult } from './fanout-worker.js'

const { values: o } = parseArgs({
  options: {
    n: { type: 'string', default: '10,50,100,200' },
    seconds: { type: 'string', default: '4' },
    budget: { type: 'string', default: '20' },
    processes: { type: 'string', default: '4' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
})
const ns = o.n!.split(',').map(Number)
const seconds = Number(o.seconds)
const budget = Number(o.budget)
const processes = Number(o.processes)
if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 500) || !(seconds > 0 && seconds <= 30) || !(Number.isInteger(budget) && budget >= 4 && budget <= 90) || !(processes >= 1 && processes <= 16)) {
  console.error('bench:fanout: --n takes 1–500 each, --seconds 0–30, --budget 4–90, --processes 1–16')
  process.exit(2)
}
const outDir = o.out ?? path.join('fanout-report', new Date().toISOString().replace(/[:.]/g, '-'))

// serverless.yml's Lambda settings (custom.appEnvironment), with the API's rate limits off: this
// measures the database's capacity, not the per-user limit.
const LAMBDA_ENV = { DB_POOL_MAX: '2', DB_IDLE_TIMEOUT_MS: '1000', DB_CONNECT_TIMEOUT_MS: '2000', DB_MAX_LIFETIME_S: '900', REQUEST_TIMEOUT_MS: '25000', RATE_LIMIT_API: 'off', LOG_LEVEL: 'silent', OPS_TOKEN: 'bench-ops-token-0123456789' }
const ROLE = 'lowtide_fanout'
const POOL = Number(LAMBDA_ENV.DB_POOL_MAX)

interface Side {
  name: string
  via: 'direct' | 'pgbouncer'
  env: Record<string, string>
  /** Environments for N clients (reserved concurrency); default N. */
  environments?: (n: number) => number
}
const allSides: Side[] = [
  { name: 'direct', via: 'direct', env: {} },
  { name: 'direct, no connect retry', via: 'direct', env: { DB_CONNECT_RETRY: 'off' } },
  { name: 'direct, reserved concurrency', via: 'direct', env: {}, environments: (n) => Math.min(n, Math.floor(budget / POOL)) },
  { name: 'PgBouncer', via: 'pgbouncer', env: {} },
  { name: 'per request via PgBouncer', via: 'pgbouncer', env: { DB_CONNECTION_MODE: 'per-request' } },
  { name: "seeds' config (pool 10, idle 10 min)", via: 'direct', env: { DB_POOL_MAX: '10', DB_IDLE_TIMEOUT_MS: '600000' } },
]
const sides = allSides.filter((s) => !o.only || o.only.split(',').includes(s.name))

const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-fanout-'))
fs.chmodSync(parent, 0o777)
const postgres = await startEmbeddedPostgres({ dataDir: path.join(parent, 'pgdata'), persistent: false, maxConnections: 100 })
const admin = new pg.Client({ connectionString: postgres.url, application_name: 'lowtide-bench-observer' })
await admin.connect()
await admin.query('CREATE DATABASE lowtide_fanout')
const superUrl = postgres.urlFor('lowtide_fanout')
await migrateDatabase(superUrl)
const db = new pg.Client({ connectionString: superUrl, application_name: 'lowtide-bench-observer' })
await db.connect()
await db.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'lowtide' CONNECTION LIMIT ${budget}`)
await db.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${ROLE}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${ROLE}`)
const key = generateApiKey()
const { rows } = await db.query<{ id: string }>(`INSERT INTO users (email, email_verified_at, credit_balance) VALUES ('fanout@example.com', now(), 100) RETURNING id`)
await db.query(`INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, 'bench', $2, $3)`, [rows[0]!.id, key.prefix, key.hash])
const roleUrl = Object.assign(new URL(superUrl), { username: ROLE, password: 'lowtide' }).toString()
// The pooler keeps two of the role's connections free: for whoever has to look in during an incident.
const bouncer = await startPgBouncer({ serverUrl: roleUrl, poolSize: budget - 2, maxClientConn: 5000, queryWaitTimeoutS: 20 })
const urls = { direct: roleUrl, pgbouncer: bouncer.urlFor(roleUrl) }

const serverConnections = async () => (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1`, [ROLE])).rows[0]!.n
/** What the apps hold: their connections to Postgres, or their clients at the pooler (the pooler's own server pool is its business). */
const heldByApps = async (via: Side['via']) =>
  via === 'direct' ? serverConnections() : (await bouncer.admin<{ application_name: string }>('SHOW CLIENTS')).filter((c) => c.application_name === 'lowtide-fanout').length

interface Row {
  side: string
  n: number
  environments: number
  requests: number
  okPercent: number
  okPerSecond: number
  p50: number | null
  p99: number | null
  statuses: Record<string, number>
  codes: Record<string, number>
  hangs: number
  withoutRetryAfter: number
  peakServer: number
  serverAfter5s: number
  /** Connections the environments still hold 5 s after the load: to Postgres, or at the pooler. */
  heldAfter5s: number
  allMs: number[]
  failed: boolean[]
}

const WORKER = fileURLToPath(new URL('./fanout-worker.ts', import.meta.url))
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : null)

async function runSide(side: Side, n: number): Promise<Row> {
  const environments = side.environments?.(n) ?? n
  const count = Math.min(processes, n)
  const split = (total: number, i: number) => Math.floor(total / count) + (i < total % count ? 1 : 0)
  const children: ChildProcess[] = []
  const ready: Promise<void>[] = []
  for (let i = 0; i < count; i++) {
    const config: FanoutWorkerConfig = { environments: split(environments, i), clients: split(n, i), env: { ...LAMBDA_ENV, ...side.env, DATABASE_URL: urls[side.via], DB_APPLICATION_NAME: 'lowtide-fanout' }, apiKey: key.key, path: '/v1/credits', hangMs: 30_000 }
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, LOWTIDE_FANOUT: JSON.stringify(config) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    children.push(child)
    ready.push(new Promise((resolve) => child.once('message', () => resolve())))
  }
  await Promise.all(ready)
  let peak = 0
  let polling = true
  const poller = (async () => {
    while (polling) {
      peak = Math.max(peak, await serverConnections())
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  const results = await Promise.all(
    children.map(
      (child) =>
        new Promise<FanoutWorkerResult>((resolve) => {
          child.once('message', (m: { result: FanoutWorkerResult }) => resolve(m.result))
          child.send({ go: true, durationMs: seconds * 1000 })
        }),
    ),
  )
  polling = false
  await poller
  // The environments stay (warm, not frozen): what do they still hold 5 s later?
  await new Promise((r) => setTimeout(r, 5000))
  const after = await serverConnections()
  const held = await heldByApps(side.via)
  await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.send({ end: true })))))
  // A clean slate for the next side: the pooler's idle server connections too.
  await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [ROLE])
  const sum = (pick: (r: FanoutWorkerResult) => Record<string, number>) => results.reduce<Record<string, number>>((acc, r) => { for (const [k, v] of Object.entries(pick(r))) acc[k] = (acc[k] ?? 0) + v; return acc }, {})
  const statuses = sum((r) => r.statuses)
  const ok = results.flatMap((r) => r.okMs).sort((a, b) => a - b)
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0) + results.reduce((h, r) => h + r.hangs, 0)
  return {
    side: side.name,
    n,
    environments,
    requests,
    okPercent: requests ? (ok.length / requests) * 100 : 0,
    okPerSecond: ok.length / seconds,
    p50: pct(ok, 0.5),
    p99: pct(ok, 0.99),
    statuses,
    codes: sum((r) => r.codes),
    hangs: results.reduce((h, r) => h + r.hangs, 0),
    withoutRetryAfter: results.reduce((h, r) => h + r.withoutRetryAfter, 0),
    peakServer: peak,
    serverAfter5s: after,
    heldAfter5s: held,
    allMs: results.flatMap((r) => r.allMs),
    failed: results.flatMap((r) => r.failed),
  }
}

const table: Row[] = []
try {
  console.log(`Node ${process.version}; a role limited to ${budget} connections; PgBouncer ${budget - 2} server connections; ${seconds} s a side; closed loop of GET /v1/credits`)
  for (const n of ns) {
    for (const side of sides) {
      const row = await runSide(side, n)
      table.push(row)
      const codes = Object.entries(row.codes).map(([c, k]) => `${k}×${c}`).join(' ')
      console.log(`N=${String(n).padStart(3)}  ${side.name.padEnd(37)} ${row.okPercent.toFixed(1).padStart(5)} % 2xx  ${row.okPerSecond.toFixed(0).padStart(5)} 2xx/s  p50 ${row.p50?.toFixed(0) ?? '–'} ms  p99 ${row.p99?.toFixed(0) ?? '–'} ms  peak ${row.peakServer}  after 5 s: server ${row.serverAfter5s}, held by the apps ${row.heldAfter5s}  ${JSON.stringify(row.statuses)} ${codes}${row.hangs ? ` hangs ${row.hangs}` : ''}`)
    }
  }
} finally {
  await db.end()
  await admin.end()
  await bouncer.stop()
  await postgres.stop()
  fs.rmSync(parent, { recursive: true, force: true })
}

fs.mkdirSync(outDir, { recursive: true })
const markdown = [
  `| side | N | 2xx | 2xx/s | p50 / p99 (ms) | other answers | peak server conns | 5 s after: server / held by the apps |`,
  `| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |`,
  ...table.map((r) => {
    const other = Object.entries(r.statuses).filter(([s]) => !s.startsWith('2')).map(([s, k]) => `${k} × ${s}`)
    const codes = Object.entries(r.codes).map(([c, k]) => `${k} ${c}`)
    return `| ${r.side} | ${r.n} | ${r.okPercent.toFixed(1)} % | ${r.okPerSecond.toFixed(0)} | ${r.p50?.toFixed(0) ?? '–'} / ${r.p99?.toFixed(0) ?? '–'} | ${[...other, ...(codes.length ? [`(${codes.join(', ')})`] : []), ...(r.hangs ? [`${r.hangs} hangs`] : [])].join(' ') || '–'} | ${r.peakServer} | ${r.serverAfter5s} / ${r.heldAfter5s} |`
  }),
].join('\n')
fs.writeFileSync(path.join(outDir, 'fanout.md'), `${markdown}\n`)
fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify({ budget, seconds, node: process.version, rows: table.map(({ allMs, failed, ...r }) => r) }, null, 2))
const series = (pick: (r: Row) => number | null) => sides.map((s) => ({ name: s.name, values: ns.map((n) => pick(table.find((r) => r.side === s.name && r.n === n)!)) }))
fs.writeFileSync(
  path.join(outDir, 'fanout.svg'),
  linesSvg(`bench:fanout — N environments against a budget of ${budget} connections`, 'N (execution environments, each a closed-loop client)', ns.map(String), [
    { title: 'answered 2xx', unit: '%', series: series((r) => r.okPercent) },
    { title: 'p99 of 2xx', unit: 'ms', series: series((r) => r.p99), log: true },
    { title: 'peak server connections of the role', unit: 'connections', series: series((r) => r.peakServer) },
  ]),
)
console.log(`\n${markdown}\n\nwritten: ${path.join(outDir, 'fanout.md')}, report.json, fanout.svg`)
