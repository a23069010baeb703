/**
 * The driver modes this machine can run, each as its own Node server process (tools/lib/
 * node-server-main.ts, real HTTP) on one database: the shared `pg` pool, a `pg` connection per
 * request, postgres.js pooled and per request, Neon's WebSocket driver and Neon's SQL-over-HTTP, the
 * last two through the local stand-ins (tools/lib/neon-*.ts), which run in the test's process.
 */
import fs from 'node:fs'
import type { Env } from '../../src/config.js'
import { startServerProcess, type ServerProcess } from '../../tools/lib/proc.js'
import { startNeonServers, TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { uniqueAppName, waitFor } from '../helpers/db.js'
import { recoveryAfter, sleep, writeStream, type StreamTally } from './load.js'
import { recordFault, type FaultRow } from './report.js'

export interface DriverMode {
  driver: string
  appName: string
  url: string
  process: ServerProcess
  /** The server's log, one JSON line per entry. */
  log: string[]
}

/** The modes that connect over TCP: through a pooler too. */
export const TCP_DRIVERS: [string, Env][] = [
  ['pg, pool', {}],
  ['pg, per-request', { DB_CONNECTION_MODE: 'per-request' }],
  ['postgres.js, pool', { DB_DRIVER: 'postgres' }],
  ['postgres.js, per-request', { DB_DRIVER: 'postgres', DB_CONNECTION_MODE: 'per-request' }],
]

/** Every mode, or only the TCP ones (`neon: false`), each a server process of its own on `databaseUrl`. */
export async function startDriverModes(databaseUrl: string, env: Env, { neon = true } = {}): Promise<DriverMode[]> {
  const drivers: [string, Env][] = [...TCP_DRIVERS, ...(neon ? ([['neon-ws', await startNeonServers('neon-ws')], ['neon-http', await startNeonServers('neon-http')]] as [string, Env][]) : [])]
  return Promise.all(
    drivers.map(async ([driver, driverEnv]) => {
      const appName = uniqueAppName('lt-fault')
      const log: string[] = []
      const process = await startServerProcess(
        'tools/lib/node-server-main.ts',
        // The driver's own settings win: Neon's driver needs its longer connect timeout here (see startNeonServers).
        { ...TEST_ENV, ...env, ...driverEnv, DATABASE_URL: databaseUrl, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: appName, LOG_LEVEL: 'warn' },
        [],
        (line) => log.push(line),
      )
      return { driver, appName, url: `http://127.0.0.1:${process.port}`, process, log }
    }),
  )
}

/** What a mode logged as an unhandled error (a 500): there must be none. */
export const unhandled = (mode: DriverMode) => mode.log.filter((line) => line.includes('"msg":"unhandled error"'))

/**
 * Writes from every mode at once (`writeStream`); `inject` breaks something and resolves once it is
 * whole again; then every mode must write again. Records a summary row per mode (acknowledged
 * writes counted back with `countAcked`) and returns the tallies, the rows and when the fault ended.
 */
export async function writesAcrossFault(
  modes: DriverMode[],
  options: { scenario: string; auth: Record<string, string>; writers: number; inject: () => Promise<void>; countAcked: (emails: string[]) => Promise<number> },
): Promise<{ tallies: StreamTally[]; rows: FaultRow[]; healed: number }> {
  const tag = options.scenario.replace(/\W+/g, '-')
  const streams = modes.map((m) => writeStream(m.url, options.auth, { writers: options.writers, tag: `${tag}-${m.appName}`, boundMs: 20_000 }))
  let tallies: StreamTally[]
  let healed = Number.NaN
  try {
    await waitFor(async () => streams.every((s) => s.tally.acked.length >= 3), 15_000)
    await options.inject()
    healed = performance.now()
    await waitFor(async () => streams.every((s) => recoveryAfter(s.tally, healed) !== undefined), 20_000)
    await sleep(300)
  } finally {
    tallies = await Promise.all(streams.map((s) => s.stop()))
  }
  const found = await Promise.all(tallies.map((t) => options.countAcked(t.acked)))
  const rows = modes.map((mode, i): FaultRow => {
    const t = tallies[i]!
    return {
      scenario: options.scenario,
      driver: mode.driver,
      faults: 1,
      acked: t.acked.length,
      lost: t.acked.length - found[i]!,
      http500: t.statuses.get(500) ?? 0,
      hangs: t.hangs,
      maxRequestMs: t.maxMs,
      recoveryMs: recoveryAfter(t, healed),
    }
  })
  rows.forEach(recordFault)
  console.log(`[faults] ${options.scenario}: ${modes.map((m, i) => `${m.driver} ${JSON.stringify(Object.fromEntries(tallies[i]!.statuses))}`).join('; ')}`)
  return { tallies, rows, healed }
}

/** SQL counting which of `emails` are contacts: every acknowledged write must be there. */
export const COUNT_CONTACTS = `SELECT count(*)::int AS n FROM contacts WHERE email = ANY($1)`

/**
 * Which of these local TCP ports belong to a socket of one of `pids` (Linux: /proc/net/tcp and each
 * process's fds): tells the app's own connections from the local stand-ins' (Neon's proxies run in
 * the test's process).
 */
export function portsOwnedBy(ports: number[], pids: number[]): Set<number> {
  const inodeOfPort = new Map<number, string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10) continue
      inodeOfPort.set(parseInt(cols[1]!.split(':')[1]!, 16), cols[9]!)
    }
  }
  const owned = new Set<string>()
  for (const pid of pids) {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' })
      if (link.startsWith('socket:[')) owned.add(link.slice(8, -1))
    }
  }
  return new Set(ports.filter((port) => owned.has(inodeOfPort.get(port) ?? '')))
}
