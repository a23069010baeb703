/**
 * The driver modes this machine can run, each as its own Node server process (tools/lib/
 * node-server-main.ts, real HTTP) on one database: the shared `pg` pool, a `pg` connection per
 * request, Neon's WebSocket driver and Neon's SQL-over-HTTP, the last two through the local
 * stand-ins (tools/lib/neon-*.ts), which run in the test's process.
 */
import type { Env } from '../../src/config.js'
import { startServerProcess, type ServerProcess } from '../../tools/lib/proc.js'
import { startNeonServers, TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { uniqueAppName } from '../helpers/db.js'

export interface DriverMode {
  driver: string
  appName: string
  url: string
  process: ServerProcess
  /** The server's log, one JSON line per entry. */
  log: string[]
}

export async function startDriverModes(databaseUrl: string, env: Env): Promise<DriverMode[]> {
  const drivers: [string, Env][] = [
    ['pg, pool', {}],
    ['pg, per-request', { DB_CONNECTION_MODE: 'per-request' }],
    ['neon-ws', await startNeonServers('neon-ws')],
    ['neon-http', await startNeonServers('neon-http')],
  ]
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
