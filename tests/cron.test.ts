import { execFile } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { parse as parseToml } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wranglerQueueProblems } from '../cron/platform-check.js'
import type { ConnectionBudget } from '../cron/capacity.js'
import { readDeployed } from '../cron/capacity-sync.js'
import { cloudflareOutboxQueue } from '../cron/queues.js'
import { schedules } from '../cron/schedules.js'
import { planSync, repoFiles } from '../cron/sync.js'
import { renderTriggers, toAwsCron } from '../cron/triggers.js'
import { startNodeServer, type NodeServer } from '../functions/node.js'
import { loadConfig } from '../src/config.js'
import { memoryLogger } from '../src/logger.js'
import { TEST_ENV } from './helpers/app.js'
import { freshDatabase, type TestDatabase } from './helpers/db.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'

/** wrangler.toml and serverless.yml copied into a temporary directory, to edit and sync there. */
function copyOfTriggerFiles() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-cron-'))
  const files = { wranglerPath: path.join(dir, 'wrangler.toml'), serverlessPath: path.join(dir, 'serverless.yml') }
  fs.copyFileSync(repoFiles.wranglerPath, files.wranglerPath)
  fs.copyFileSync(repoFiles.serverlessPath, files.serverlessPath)
  return { dir, files }
}

describe('schedule registry → platform triggers', () => {
  it('wrangler.toml and serverless.yml match cron/schedules.ts (npm run cron:check)', () => {
    expect(planSync(schedules).drifted).toEqual([])
  })

  it('detects drift when the registry changes without cron:sync', () => {
    const { dir, files } = copyOfTriggerFiles()
    const edited = schedules.map((s) => (s.name === 'low-credit-notices' ? { ...s, cron: '0 9 * * *' } : s))
    expect(planSync(edited, files).drifted).toEqual([files.wranglerPath, files.serverlessPath])
    // Writing the plan makes them agree again, and leaves the hand-written parts alone.
    const plan = planSync(edited, files)
    fs.writeFileSync(files.wranglerPath, plan.next.wrangler)
    fs.writeFileSync(files.serverlessPath, plan.next.serverless)
    expect(planSync(edited, files).drifted).toEqual([])
    expect(fs.readFileSync(files.wranglerPath, 'utf8')).toContain('compatibility_flags = ["nodejs_compat"]')
    expect(fs.readFileSync(files.serverlessPath, 'utf8')).toContain('ScheduleExpression: cron(0 9 * * ? *)')
    fs.rmSync(dir, { recursive: true })
  })

  it('folds into one tick above --max-triggers, and cron:check fails on a wrangler.toml over the limit without folding', () => {
    const { dir, files } = copyOfTriggerFiles()
    const distinct = new Set(schedules.map((s) => s.cron)).size
    // Today's triggers, checked against a limit below their count: over it, and not folded.
    expect(planSync(schedules, files, distinct - 1).current).toContain(`wrangler.toml: ${distinct} cron triggers, over the limit of ${distinct - 1} (run npm run cron:sync, which folds them into one tick)`)
    const folded = planSync(schedules, files, distinct - 1)
    expect(folded.warnings.join()).toMatch(/folded into one every-minute tick/)
    fs.writeFileSync(files.wranglerPath, folded.next.wrangler)
    expect(planSync(schedules, files, distinct - 1)).toMatchObject({ drifted: [], problems: [] })
    expect((parseToml(fs.readFileSync(files.wranglerPath, 'utf8')) as { triggers: { crons: string[] } }).triggers.crons).toEqual(['*/1 * * * *'])
    // The same file under the registry's own limit: one trigger per cron again.
    expect(planSync(schedules, files).drifted).toEqual([files.wranglerPath])
    fs.rmSync(dir, { recursive: true })
  })

  it('writes the caps the connection budget implies, and fails, printing the arithmetic, on a worst case over it', () => {
    const { dir, files } = copyOfTriggerFiles()
    // The shipped budget: behind a pooler, the api needs no reserved concurrency; the check passes.
    expect(planSync(schedules, files)).toMatchObject({ drifted: [], problems: [] })
    // Straight to a Postgres with room for 60 of ours: the api gets the reserved concurrency that fits.
    const direct: ConnectionBudget = { connections: 60, reaches: 'postgres', lambdaAccountConcurrency: 1000, queueShare: 0.25, workersPeakRequests: 0 }
    const fitted = planSync(schedules, files, undefined, undefined, direct)
    expect(fitted.problems).toEqual([])
    fs.writeFileSync(files.serverlessPath, fitted.next.serverless)
    fs.writeFileSync(files.wranglerPath, fitted.next.wrangler)
    const deployed = readDeployed(fitted.next.serverless, fitted.next.wrangler)
    // 60 − tasks 4 × 2 − Queues consumers 3 × 5 = 37 for the api: 18 environments of 2.
    expect(deployed).toMatchObject({ apiReservedConcurrency: 18, tasksReservedConcurrency: 4, sqsMaximumConcurrency: 2, queuesMaxConcurrency: 3 })
    expect(fitted.capacity).toMatch(/worst case\s+59\s+≤ the budget of 60 connections at Postgres/)
    expect(planSync(schedules, files, undefined, undefined, direct)).toMatchObject({ drifted: [], problems: [] })
    // The same files against a budget they exceed: cron:check fails with every term of the sum.
    const over = planSync(schedules, files, undefined, undefined, { ...direct, connections: 40 })
    expect(over.drifted.length).toBeGreaterThan(0)
    expect(over.current.join('\n')).toMatch(/the worst case exceeds the connection budget:\n\s+Lambda api\s+36\s+18 environments \(reserved concurrency\) × DB_POOL_MAX 2\n\s+Lambda tasks\s+8\s+4 environments/)
    expect(over.current.join('\n')).toMatch(/worst case\s+59\s+> the budget of 40 connections at Postgres/)
    // A budget too small for anything but the fixed parts cannot be planned: cron:sync refuses too.
    const hopeless = planSync(schedules, files, undefined, undefined, { ...direct, connections: 10, workersPeakRequests: 20 })
    expect(hopeless.problems.join('\n')).toMatch(/the worst case exceeds the connection budget/)
    fs.rmSync(dir, { recursive: true })
  })

  it('refuses to write into a file without its markers, instead of appending where the platform would ignore it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-cron-'))
    const files = { wranglerPath: path.join(dir, 'wrangler.toml'), serverlessPath: path.join(dir, 'serverless.yml') }
    fs.copyFileSync(repoFiles.wranglerPath, files.wranglerPath)
    fs.writeFileSync(files.serverlessPath, 'service: lowtide\nfunctions:\n  api:\n    handler: lambda.handler\nresources:\n  Resources: {}\n')
    expect(() => planSync(schedules, files)).toThrow(/serverless\.yml: the cron:sync markers are missing; put these two lines where the triggers belong \(serverless\.yml: under resources\.Resources/)
    fs.rmSync(dir, { recursive: true })
  })

  it("writes the outbox's Cloudflare queue from cron/queues.ts and reads it back as TOML: drift, a missing dead-letter consumer, values past Cloudflare's limits", () => {
    const { dir, files } = copyOfTriggerFiles()
    const written = parseToml(fs.readFileSync(files.wranglerPath, 'utf8')) as { queues: { producers: unknown[]; consumers: { queue: string; dead_letter_queue?: string; max_retries: number }[] } }
    expect(written.queues.producers).toEqual([{ binding: cloudflareOutboxQueue.binding, queue: cloudflareOutboxQueue.queue }])
    expect(written.queues.consumers.map((c) => [c.queue, c.dead_letter_queue, c.max_retries])).toEqual([
      [cloudflareOutboxQueue.queue, cloudflareOutboxQueue.deadLetterQueue, cloudflareOutboxQueue.maxRetries],
      [cloudflareOutboxQueue.deadLetterQueue, undefined, cloudflareOutboxQueue.deadLetterMaxRetries],
    ])
    // Edited settings: drift until written, and the platform's limits refuse a bad value.
    const more = { ...cloudflareOutboxQueue, maxBatchSize: 50 }
    expect(planSync(schedules, files, undefined, more).drifted).toEqual([files.wranglerPath])
    expect(planSync(schedules, files, undefined, { ...cloudflareOutboxQueue, maxBatchSize: 500 }).problems).toContain(`wrangler.toml: queue "${cloudflareOutboxQueue.queue}": max_batch_size = 500 is outside Cloudflare's 1–100`)
    // A hand-edited file without the dead-letter queue's consumer: cron:check says why.
    const text = fs.readFileSync(files.wranglerPath, 'utf8')
    const withoutDlqConsumer = text.replace(/\n\[\[queues\.consumers\]\]\nqueue = "lowtide-outbox-dlq"[^#]*/, '\n')
    expect(wranglerQueueProblems(withoutDlqConsumer, cloudflareOutboxQueue)).toEqual([`wrangler.toml: no [[queues.consumers]] for "${cloudflareOutboxQueue.deadLetterQueue}": dead-lettered rows would stay pending and be republished forever`])
    fs.writeFileSync(files.wranglerPath, withoutDlqConsumer)
    expect(planSync(schedules, files).current).toContain(`wrangler.toml: no [[queues.consumers]] for "${cloudflareOutboxQueue.deadLetterQueue}": dead-lettered rows would stay pending and be republished forever`)
    fs.rmSync(dir, { recursive: true })
  })

  it.each([
    ['* * * * *', 'cron(* * * * ? *)'],
    ['*/5 * * * *', 'cron(*/5 * * * ? *)'],
    ['30 3 * * *', 'cron(30 3 * * ? *)'],
    ['0 9 * * 1-5', 'cron(0 9 ? * MON-FRI *)'],
    ['0 0 1 * *', 'cron(0 0 1 * ? *)'],
    ['0 12 * * 0', 'cron(0 12 ? * SUN *)'],
  ])('writes %s for EventBridge as %s', (cron, aws) => {
    expect(toAwsCron(cron)).toBe(aws)
  })

  it('refuses what EventBridge cannot express and warns on platform limits', () => {
    expect(() => toAwsCron('0 0 1 * 1')).toThrow(/both day-of-month and day-of-week/)
    const task = schedules[0]!
    const many = ['1', '2', '3', '4', '5', '6'].map((m) => ({ ...task, name: `t${m}`, cron: `${m} * * * *` }))
    expect(renderTriggers(many).warnings.join()).toMatch(/need more than 5 Workers cron triggers: folded into one every-minute tick/)
    expect(renderTriggers([task, { ...task, name: 'twin' }]).warnings.join()).toMatch(/merged into 1 Workers cron trigger/)
    expect(() => renderTriggers([{ ...task, cron: '61 * * * *' }])).toThrow(/invalid cron/)
  })
})

describe('npm run task (cron/call.ts)', () => {
  let db: TestDatabase
  let server: NodeServer
  beforeAll(async () => {
    db = await freshDatabase()
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', TASK_SIGNING_SECRET: TEST_SIGNING_SECRET }, 'node')
    server = await startNodeServer(config, { logger: memoryLogger() })
  })
  afterAll(async () => {
    await server.close()
    await db.drop()
  })

  const run = (args: string[], env: Record<string, string>, url = server.url) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'cron/call.ts', ...args, '--url', url], { env: { ...process.env, ...env } }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
    )

  it('signs and sends a task request over HTTP', async () => {
    const ok = await run(['ledger-cleanup', '--scheduled-at', '2026-08-01T03:30:00Z'], { TASK_SIGNING_SECRET: TEST_SIGNING_SECRET })
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.out)).toMatchObject({ http: 200, status: 'succeeded', task: 'ledger-cleanup', scheduledAt: '2026-08-01T03:30:00.000Z' })
    const wrong = await run(['ledger-cleanup'], { TASK_SIGNING_SECRET: 'a-different-secret-of-enough-length-000' })
    expect(wrong.code).toBe(1)
    expect(JSON.parse(wrong.out)).toMatchObject({ http: 401, error: { code: 'invalid_signature' } })
  }, 30_000)

  it('keeps the path prefix of --url (an API Gateway stage, a proxy mount point)', async () => {
    // A reverse proxy serving the app under /prod, as a named stage or a mount point would.
    const proxy = http.createServer((req, res) => {
      if (!req.url?.startsWith('/prod/')) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found"}}')
      const upstream = http.request(`${server.url}${req.url.slice('/prod'.length)}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const ok = await run(['ledger-cleanup', '--scheduled-at', '2026-08-02T03:30:00Z'], { TASK_SIGNING_SECRET: TEST_SIGNING_SECRET }, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/prod`)
      expect(JSON.parse(ok.out)).toMatchObject({ http: 200, status: 'succeeded', scheduledAt: '2026-08-02T03:30:00.000Z' })
    } finally {
      proxy.close()
    }
  }, 30_000)

  it.each([
    [['ledger-cleanup', '--scheduled-at', 'yesterday'], /^npm run task: --scheduled-at must be an ISO time such as 2026-08-01T03:30:00Z \(got "yesterday"\)\n$/],
    [['ledger-cleanup', '--follow', 'many'], /^npm run task: --follow must be a whole number ≥ 0 \(got "many"\)\n$/],
    [['ledger-cleanup', '--bogus'], /^npm run task: Unknown option '--bogus'/],
    [[], /^npm run task: which task\?/],
  ])('answers bad arguments %j with one line and exit code 2, not a stack trace', async (args, message) => {
    const answer = await run(args, { TASK_SIGNING_SECRET: TEST_SIGNING_SECRET })
    expect(answer.code).toBe(2)
    expect(answer.err).toMatch(message)
    expect(answer.err).not.toMatch(/\n\s+at /)
  }, 30_000)
})
