/**
 * Lambda freeze and thaw, the complaint node-postgres users file most: an environment frozen with
 * idle pooled connections wakes after the server (or a NAT on the way) forgot them, and the first
 * query fails with "Connection terminated unexpectedly" / `read ECONNRESET` — or waits forever on a
 * connection nobody answers. Here the server process is stopped (SIGSTOP) while its pool holds idle
 * connections, those connections are killed on the Postgres side, forgotten by the network (an RST
 * on first use) or black-holed (no answer at all), requests arrive, the process resumes (SIGCONT):
 * every one must answer 2xx — on the Node server, and on the built Lambda artifact
 * (functions/lambda.ts) in serverless-offline, a real local Lambda runtime.
 */
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../../tools/lib/proc.js'
import { TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { uniqueAppName, waitFor, type TestDatabase } from '../helpers/db.js'
import { proxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-db.js'
import { serviceCopy, startOffline, type Offline } from '../helpers/osls.js'
import { TEST_SIGNING_SECRET } from '../helpers/tasks.js'
import { seedUser, type SeededUser } from '../helpers/users.js'
import { jsonPost, sleep, timedRequest, type Answer } from './load.js'
import { recordFault } from './report.js'

/** Longer than DB_CHECK_IDLE_AFTER_MS (1 s): Lambda environments sleep seconds to minutes between invocations. */
const FREEZE_MS = 2000
const FAULTS = [
  ['killed by Postgres', 'terminated'],
  ['forgotten by the network (an RST on first use)', 'forgotten'],
  ['black-holed by the network (no answer at all)', 'blackholed'],
] as const
type Fault = (typeof FAULTS)[number][1]

let proxied: ProxiedDatabase
let db: TestDatabase
let user: SeededUser
let seq = 0

beforeAll(async () => {
  proxied = await proxiedDatabase()
  db = proxied.db
  user = await seedUser(db.observer)
})
afterAll(() => proxied?.close())

const write = (url: string) => timedRequest(`${url}/v1/contacts`, jsonPost({ email: `thaw-${++seq}@example.com` }, user.auth), 30_000)
const read = (url: string) => timedRequest(`${url}/v1/contacts`, { headers: user.auth }, 30_000)

interface Target {
  driver: string
  url: string
  process: ChildProcess
  appName: string
  /** Opens idle pooled connections; resolves with how many the process holds. */
  warm(): Promise<number>
  /** What arrives while the process is frozen: it answers once it wakes. */
  arrive(): Promise<Answer[]>
}

/** Freezes the target's process with idle pooled connections, breaks them, thaws it: every request must answer 2xx. */
async function freezeAndThaw(target: Target, fault: Fault): Promise<Answer[]> {
  const pooled = await target.warm()
  target.process.kill('SIGSTOP')
  try {
    if (fault === 'terminated') {
      await db.observer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [target.appName])
    } else if (fault === 'forgotten') {
      proxied.proxy.forget()
    } else {
      // Postgres keeps its side open: only the route is dead.
      proxied.proxy.blackhole()
    }
    if (fault !== 'blackholed') await waitFor(async () => (await db.connections(target.appName)).length === 0, 5000)
    await sleep(FREEZE_MS - 200)
    // The requests reach the frozen process first, as an invocation reaches a frozen Lambda.
    const answering = target.arrive()
    await sleep(200)
    target.process.kill('SIGCONT')
    const woke = performance.now()
    const answers = await answering
    recordFault({
      scenario: `freeze ${FREEZE_MS / 1000} s, pooled conns ${fault}`,
      driver: target.driver,
      faults: pooled,
      acked: answers.filter((a) => a.status === 201).length,
      lost: 0,
      http500: answers.filter((a) => a.status === 500).length,
      hangs: answers.filter((a) => a.hang).length,
      maxRequestMs: Math.max(...answers.map((a) => a.ms)),
      recoveryMs: Math.min(...answers.filter((a) => a.status < 300).map((a) => a.at - woke)),
    })
    return answers
  } finally {
    target.process.kill('SIGCONT')
  }
}

describe('a frozen Node process wakes to dead pooled connections', () => {
  const POOL_MAX = 5
  const appName = uniqueAppName('lt-freeze')
  let server: ServerProcess
  let target: Target
  beforeAll(async () => {
    server = await startServerProcess('tools/lib/node-server-main.ts', {
      ...TEST_ENV,
      DATABASE_URL: proxied.url,
      DB_APPLICATION_NAME: appName,
      DB_POOL_MAX: String(POOL_MAX),
      // Longer than the freeze: the pool still holds its connections when the process wakes.
      DB_IDLE_TIMEOUT_MS: '120000',
      OPS_TOKEN: TEST_OPS_TOKEN,
      LOG_LEVEL: 'error',
    })
    const url = `http://127.0.0.1:${server.port}`
    target = {
      driver: 'node, pool',
      url,
      process: server.child,
      appName,
      async warm() {
        // Bursts of concurrent reads until Postgres shows at least 3 of the pool's connections.
        await waitFor(async () => {
          await Promise.all(Array.from({ length: 4 * POOL_MAX }, () => read(url)))
          return (await db.connections(appName)).length >= 3
        }, 20_000, 10)
        return (await db.connections(appName)).length
      },
      // Writes and reads at once, twice the pool: every pooled connection is asked for.
      arrive: () => Promise.all(Array.from({ length: 2 * POOL_MAX }, (_, i) => (i % 2 === 0 ? write(url) : read(url)))),
    }
  })
  afterAll(() => server?.stop())

  it.each(FAULTS)('answers every request 2xx when its idle connections were %s', async (_label, fault) => {
    const replacedBefore = await staleReplaced(target.url)
    const answers = await freezeAndThaw(target, fault)
    expect(answers.map((a) => a.status)).toEqual(answers.map((_, i) => (i % 2 === 0 ? 201 : 200)))
    // The dead connections were found by the pool, not by a request: counted in /readyz.
    if (fault !== 'terminated') expect(await staleReplaced(target.url)).toBeGreaterThan(replacedBefore)
  })
})

describe('a frozen Lambda environment (the built artifact in serverless-offline) wakes to dead pooled connections', () => {
  const appName = 'lowtide-lambda' // serverless.yml's DB_APPLICATION_NAME
  let dir: string
  let offline: Offline
  let target: Target
  beforeAll(async () => {
    // The shipped config closes connections after 1 s idle, and the pool's overdue idle timers happen
    // to run before the first invocation after a thaw; a longer idle timeout (the pool's default is
    // 10 s, many users raise it) leaves the frozen connections in the pool, which is the case to prove.
    dir = await serviceCopy({ appEnvironment: { DB_IDLE_TIMEOUT_MS: '30000' } })
    offline = await startOffline(dir, { databaseUrl: proxied.url, opsToken: TEST_OPS_TOKEN, taskSigningSecret: TEST_SIGNING_SECRET })
    const url = offline.httpBase
    target = {
      driver: 'lambda (offline), pool',
      url,
      process: offline.process,
      appName,
      async warm() {
        // One environment serves one request at a time: requests in turn keep to the warm one.
        for (let i = 0; i < 3; i++) expect((await read(url)).status).toBe(200)
        return (await db.connections(appName)).length
      },
      // In turn, so each one lands in the environment that was frozen (Lambda gives it the next invocation).
      async arrive() {
        const answers: Answer[] = []
        for (let i = 0; i < 6; i++) answers.push(await (i % 2 === 0 ? write(url) : read(url)))
        return answers
      },
    }
  }, 120_000)
  afterAll(async () => {
    await offline?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  it.each(FAULTS)('answers every invocation 2xx when its idle connections were %s', async (_label, fault) => {
    const answers = await freezeAndThaw(target, fault)
    expect(answers.map((a) => a.status)).toEqual([201, 200, 201, 200, 201, 200])
  })
})

async function staleReplaced(url: string): Promise<number> {
  const res = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
  const body = (await res.json()) as { pools: { staleReplaced: number }[] }
  return body.pools[0]!.staleReplaced
}
