/**
 * `npm start` as a user runs it (package.json's command): embedded Postgres, migrations, the server,
 * the local queue and the dev clock; SIGTERM stops everything with exit code 0 and no Postgres left
 * running, a second signal during the shutdown too; a second start reuses the data directory, so
 * data survives.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { defaultDataDir } from '../tools/lib/embedded-postgres.js'
import { freePort } from '../tools/lib/free-port.js'
import { freshDatabase } from './helpers/db.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-start-test-'))
fs.chmodSync(parent, 0o777)
const dataDir = path.join(parent, 'pgdata')
const opsToken = 'start-test-ops-token-0123456789'
const running: ChildProcess[] = []

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL')
  fs.rmSync(parent, { recursive: true, force: true })
})

interface Started {
  child: ChildProcess
  url: string
  output: () => string
}

/**
 * package.json's `start`, which must be one Node process: under tsx's CLI the script is a child
 * that tsx SIGKILLs when it does not report a signal back within 30 ms (busy shutting down), and
 * the embedded Postgres outlives it.
 */
function startCommand(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const [program, ...args] = pkg.scripts.start.split(/\s+/)
  expect(program, 'npm start runs one node process').toBe('node')
  return args
}

async function npmStart(extraEnv: Record<string, string> = {}): Promise<Started> {
  const { DATABASE_URL: _, ...env } = process.env
  const child = spawn(process.execPath, startCommand(), {
    cwd: root,
    env: { ...env, LOWTIDE_DATA_DIR: dataDir, PORT: String(await freePort()), OPS_TOKEN: opsToken, LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.push(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print its URL within 60 s:\n${output}`)), 60_000)
    const look = () => {
      const found = /base URL\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      if (found) {
        clearTimeout(timer)
        resolve(found)
      }
    }
    child.stdout!.on('data', look)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`npm start exited with ${code}:\n${output}`))
    })
  })
  return { child, url, output: () => output }
}

/** SIGTERM, `signals` times (a second one lands while the first shutdown runs, as from `pkill` or an impatient Ctrl-C). */
function stop(child: ChildProcess, signals = 1): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code))
    child.kill('SIGTERM')
    for (let i = 1; i < signals; i++) setTimeout(() => child.kill('SIGTERM'), 20 * i)
  })
}

const postmasterPid = () => Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const register = (url: string) =>
  fetch(`${url}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'persisted@example.com', password: 'a long enough password', name: 'P' }),
  })

describe('npm start', () => {
  it('serves /health and /readyz, stops cleanly on SIGTERM, and keeps its data for the next start', async () => {
    const first = await npmStart()
    expect(first.output()).toContain(`ops token  ${opsToken}`)
    // Start-up prints what a user needs: no multi-line warning from a dependency (Node's own
    // "(node:PID) Warning:" format), at most one line about an old Node.
    expect(first.output()).not.toMatch(/\(node:\d+\) \w*Warning|NodeVersionSupportWarning/)
    expect(first.output().split('\n').filter((l) => l.startsWith('warning: Node')).length).toBe(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0)
    expect(await (await fetch(`${first.url}/health`)).json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${first.url}/readyz`, { headers: { authorization: `Bearer ${opsToken}` } })
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { status: string }).status).toBe('ok')
    expect((await register(first.url)).status).toBe(201)
    // The task signing secret is kept in a file of the user's own, not printed; npm run task uses it.
    const stateFile = path.join(parent, 'npm-start.json')
    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600)
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { taskSigningSecret: string; serverUrl: string }
    expect([state.serverUrl, state.taskSigningSecret.length >= 32]).toEqual([first.url, true])
    expect(first.output()).not.toContain(state.taskSigningSecret)
    expect(first.output()).toContain(`signs with the secret kept in ${stateFile}`)
    const { TASK_SIGNING_SECRET: _s, CRON_SECRET: _c, LOWTIDE_URL: _u, ...bare } = process.env
    const task = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cron/call.ts', 'ledger-cleanup'], { cwd: root, env: { ...bare, LOWTIDE_DATA_DIR: dataDir } })
    expect(JSON.parse(task.stdout)).toMatchObject({ http: 200, task: 'ledger-cleanup' })
    const pid = postmasterPid()
    expect(alive(pid)).toBe(true)

    // A second npm start on the same data directory says why it cannot start and how to, in one line.
    const { DATABASE_URL: _d, ...plain } = process.env
    const clash = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/start.ts'], { cwd: root, env: { ...plain, LOWTIDE_DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    )
    expect(clash.code).toBe(1)
    const said = clash.stderr.split('\n').filter((line) => line.startsWith('lowtide could not start'))
    expect(said).toEqual([expect.stringMatching(new RegExp(`^lowtide could not start: the data directory ${dataDir} is in use by another npm start \\(pid ${first.child.pid}, serving ${first.url}\\)\\. Stop that one \\(Ctrl-C\\), or give this one its own: LOWTIDE_DATA_DIR=`))])
    expect(clash.stderr).not.toMatch(/^undefined$/m)
    // …and leaves the running one's state (npm run task, npm run monitor) alone.
    const kept = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { serverUrl: string; url: string }
    expect(kept.serverUrl).toBe(first.url)
    // The database a user keeps flushes to disk; the tests' throwaway one does not (speed).
    const settings = async (url: string) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        return (await client.query<{ fsync: string }>('SHOW fsync')).rows[0]!.fsync
      } finally {
        await client.end()
      }
    }
    expect(await settings(kept.url)).toBe('on')
    const throwaway = await freshDatabase()
    expect((await throwaway.observer.query<{ fsync: string }>('SHOW fsync')).rows[0]!.fsync).toBe('off')
    await throwaway.drop()

    expect(await stop(first.child)).toBe(0)
    expect(alive(pid)).toBe(false) // Postgres stopped with it: no orphan
    expect(fs.existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false)

    const second = await npmStart()
    expect((await register(second.url)).status).toBe(409) // the user from the first run is still there
    const secondPid = postmasterPid()
    expect(await stop(second.child, 2)).toBe(0)
    expect(alive(secondPid)).toBe(false)
  }, 150_000)

  it('runs on DATABASE_URL in a checkout that has never run npm start (no data directory yet)', async () => {
    const db = await freshDatabase()
    const neverStarted = path.join(parent, 'never-started', 'pgdata')
    try {
      const started = await npmStart({ DATABASE_URL: db.url, LOWTIDE_DATA_DIR: neverStarted, LOWTIDE_DEV_CLOCK: '0' })
      expect(started.output()).toContain('database   DATABASE_URL')
      expect(await (await fetch(`${started.url}/health`)).json()).toEqual({ status: 'ok' })
      expect((await register(started.url)).status).toBe(201)
      // The state npm run task reads is there, the user's alone; no embedded database was made.
      const stateFile = path.join(parent, 'never-started', 'npm-start.json')
      expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600)
      expect(fs.existsSync(neverStarted)).toBe(false)
      expect(await stop(started.child)).toBe(0)
      expect(fs.existsSync(stateFile)).toBe(false)
    } finally {
      await db.drop()
    }
  }, 90_000)

  it('keeps one database per checkout by default: two clones never share one', () => {
    const here = defaultDataDir(root)
    expect(defaultDataDir(root)).toBe(here) // stable across starts
    expect(defaultDataDir(path.join(os.tmpdir(), 'another-clone', path.basename(root)))).not.toBe(here)
    expect(path.dirname(path.dirname(here))).toBe(os.tmpdir())
    expect(path.basename(here)).toBe('pgdata')
  })
})
