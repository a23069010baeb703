/**
 * PgBouncer (Debian's package, 1.18 here) in front of a PostgreSQL, on a free loopback port, in
 * transaction mode and configured as it commonly is: `ignore_startup_parameters = extra_float_digits`
 * and nothing else, every database routed to the server (`* =`), a pool per database smaller than its
 * clients. For tests and benchmarks: as root it runs as the `postgres` user (as Postgres does), with
 * its files in a directory of its own, and is stopped by its pid.
 *
 * The admin console (`pgbouncer` database, same user) takes `SHOW POOLS`, `SHOW CLIENTS`, `PAUSE`,
 * `RESUME`, `RECONNECT`, `KILL`: `admin()` runs one command on it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from './free-port.js'

export const PGBOUNCER_BIN = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => fs.existsSync(p))
export const PGBOUNCER_MISSING = 'needs PgBouncer (apt-get install pgbouncer; CI installs it)'

export interface PgBouncerOptions {
  /** The server it pools, e.g. the embedded Postgres's `postgres://postgres:lowtide@127.0.0.1:5432/postgres`. */
  serverUrl: string
  /** Server connections per (database, user) pool. @default 5 */
  poolSize?: number
  /** Client connections it accepts in all. @default 1000 */
  maxClientConn?: number
  /** A client waiting this long for a server connection is disconnected. @default 120 */
  queryWaitTimeoutS?: number
  poolMode?: 'transaction' | 'session'
  /** Server connections to one database in all pools. @default 0 (no limit) */
  maxDbConnections?: number
  /** The port to listen on (a restart keeps it). @default a free one */
  port?: number
}

export interface PgBouncer {
  port: number
  /** The same server URL with PgBouncer's address: any database name works. */
  urlFor(serverUrl: string): string
  /** Runs a command on the admin console and returns its rows. */
  admin<R = Record<string, unknown>>(command: string): Promise<R[]>
  /** PgBouncer's own log so far. */
  log(): string
  /** SIGKILL, `downMs` of nothing listening, then start again on the same port and configuration (clients are cut off). */
  restart(downMs?: number): Promise<void>
  stop(): Promise<void>
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  if (!PGBOUNCER_BIN) throw new Error(PGBOUNCER_MISSING)
  const server = new URL(options.serverUrl)
  const user = decodeURIComponent(server.username)
  const password = decodeURIComponent(server.password)
  const port = options.port ?? (await freePort())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-pgbouncer-'))
  const owner = runAs()
  const file = (name: string) => path.join(dir, name)
  fs.writeFileSync(file('userlist.txt'), `"${user}" "${password}"\n`)
  fs.writeFileSync(
    file('pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      `default_pool_size = ${options.poolSize ?? 5}`,
      `max_client_conn = ${options.maxClientConn ?? 1000}`,
      `max_db_connections = ${options.maxDbConnections ?? 0}`,
      `query_wait_timeout = ${options.queryWaitTimeoutS ?? 120}`,
      'auth_type = scram-sha-256',
      `auth_file = ${file('userlist.txt')}`,
      `admin_users = ${user}`,
      'ignore_startup_parameters = extra_float_digits',
      // A server connection a client lost mid-transaction is closed, not reused (the default).
      'server_reset_query = DISCARD ALL',
      `logfile = ${file('pgbouncer.log')}`,
      `pidfile = ${file('pgbouncer.pid')}`,
      '',
    ].join('\n'),
  )
  if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir])
  fs.chmodSync(dir, 0o700)

  let child: ChildProcess | undefined
  const launch = async () => {
    fs.rmSync(file('pgbouncer.pid'), { force: true })
    child = spawn(PGBOUNCER_BIN!, [file('pgbouncer.ini')], { stdio: 'ignore', ...(owner ?? {}) })
    const deadline = Date.now() + 10_000
    for (;;) {
      const probe = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 500 })
      try {
        await probe.connect()
        await probe.end()
        return
      } catch (err) {
        await probe.end().catch(() => undefined)
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${readLog()}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }
  const urlFor = (serverUrl: string) => {
    const url = new URL(serverUrl)
    url.hostname = '127.0.0.1'
    url.port = String(port)
    return url.toString()
  }
  const adminUrl = () => urlFor(Object.assign(new URL(options.serverUrl), { pathname: '/pgbouncer' }).toString())
  const readLog = () => {
    try {
      return fs.readFileSync(file('pgbouncer.log'), 'utf8')
    } catch {
      return ''
    }
  }
  const kill = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child!.once('exit', r))
    child.kill(signal)
    await exited
  }
  await launch()
  return {
    port,
    urlFor,
    async admin<R>(command: string) {
      // The admin console speaks the simple query protocol only.
      const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 2000 })
      await client.connect()
      try {
        return (await client.query(command)).rows as R[]
      } finally {
        await client.end()
      }
    },
    log: readLog,
    async restart(downMs = 0) {
      await kill('SIGKILL')
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs))
      await launch()
    },
    async stop() {
      await kill('SIGINT')
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** As root, PgBouncer runs as the `postgres` user (it refuses root too); otherwise as whoever we are. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('PgBouncer refuses to run as root and there is no "postgres" user to run it as')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}
