/** `npm run stress` against the running app: a healthy run, and a deliberately leaking route. */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNodeServer, type NodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import type { ConnectionSource, Lease } from '../../src/db/types.js'
import { memoryLogger } from '../../src/logger.js'
import { TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { freshDatabase, uniqueAppName, type TestDatabase } from '../helpers/db.js'

let db: TestDatabase
let server: NodeServer
let source: ConnectionSource | undefined
const leaked: Lease[] = []
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-stress-'))

beforeAll(async () => {
  db = await freshDatabase()
  const config = loadConfig(
    { ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', OPS_TOKEN: TEST_OPS_TOKEN, DB_POOL_MAX: '5', DB_IDLE_TIMEOUT_MS: '500', DB_CONNECT_TIMEOUT_MS: '300', DB_APPLICATION_NAME: uniqueAppName('stress') },
    'node',
  )
  server = await startNodeServer(config, {
    logger: memoryLogger(),
    // A route that takes a connection and never gives it back (bypassing the request scope).
    extend: (app) =>
      app.get('/test/leak', async (c) => {
        leaked.push(await source!.acquire('leak'))
        return c.json({ leaked: leaked.length })
      }),
  })
  source = server.connections
})
afterAll(async () => {
  for (const lease of leaked) await lease.release(true)
  await server.close(100).catch(() => undefined)
  await db.drop()
  fs.rmSync(out, { recursive: true, force: true })
})

const stress = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'tools/stress.ts', '--base-url', server.url, '--token', TEST_OPS_TOKEN, '--settle', '1500', ...args]).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  )

describe('npm run stress', () => {
  it('50 × 3 waves against /readyz with a pool of 5: 0 errors, no leak, a consistent report and a plot per wave', async () => {
    const dir = path.join(out, 'ok')
    const { code, out: text } = await stress(['--requests', '50', '--waves', '3', '--delay', '200', '--out', dir])
    expect(text).toMatch(/verdict\s+0 errors, no leaks/)
    expect(code).toBe(0)
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'))
    expect(report.overall.requests).toBe(150)
    expect(report.waves.map((w: { requests: number }) => w.requests)).toEqual([50, 50, 50])
    const statusTotal = Object.values(report.overall.statuses as Record<string, number>).reduce((a, b) => a + b, 0)
    expect(statusTotal).toBe(150)
    expect(report.overall.statuses['200']).toBe(150)
    const l = report.overall.latencyMs
    expect(l.p50).toBeLessThanOrEqual(l.p95)
    expect(l.p95).toBeLessThanOrEqual(l.p99)
    expect(l.p99).toBeLessThanOrEqual(l.max)
    expect(report.pool.during).toHaveLength(3)
    expect(report.verdict).toEqual({ errors: 0, leaks: false, reasons: [] })
    for (const w of ['01', '02', '03']) expect(fs.readFileSync(path.join(dir, `wave-${w}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<circle/)
  }, 60_000)

  it('flags a leaking route and exits non-zero', async () => {
    const dir = path.join(out, 'leak')
    const { code, out: text } = await stress(['--endpoint', '/test/leak', '--requests', '3', '--waves', '1', '--out', dir])
    expect(code).toBe(1)
    expect(text).toMatch(/LEAK: 3 connection\(s\) still checked out/)
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'))
    expect(report.verdict.leaks).toBe(true)
  }, 60_000)
})
