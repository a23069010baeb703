/** functions/lambda.ts fed real API Gateway v2 events, warm, on a real pool. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { APIGatewayProxyResult } from 'hono/aws-lambda'
import { createLambdaHandler, type LambdaHandler, type TaskRunResult } from '../functions/lambda.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'
import { TEST_ENV, TEST_OPS_TOKEN } from './helpers/app.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'
import { httpApiEvent, lambdaContext } from './helpers/lambda-events.js'

let db: TestDatabase
let handler: LambdaHandler
const appName = uniqueAppName('lambda')
let maxSeen = 0
let apiKey = ''

beforeAll(async () => {
  db = await freshDatabase()
  handler = createLambdaHandler({ ...TEST_ENV, DATABASE_URL: db.url, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: appName, DB_IDLE_TIMEOUT_MS: '500', LOG_LEVEL: 'silent' })
})
afterAll(async () => {
  await handler.connections.end()
  await db.drop()
})

async function invoke(...args: Parameters<typeof httpApiEvent>) {
  const result = (await handler(httpApiEvent(...args), lambdaContext())) as APIGatewayProxyResult
  const server = (await db.connections(appName)).length
  maxSeen = Math.max(maxSeen, server, handler.connections.stats().total)
  return { ...result, json: JSON.parse(result.body) }
}

describe('Lambda entry (API Gateway HTTP API v2)', () => {
  it('serves the same routes, twice warm, on one small pool', async () => {
    for (let round = 1; round <= 2; round++) {
      const health = await invoke('GET', '/health')
      expect(health.statusCode).toBe(200)
      expect(health.json).toEqual({ status: 'ok' })

      const credentials = { email: `warm${round}@example.com`, password: 'a long enough password' }
      const created = await invoke('POST', '/v1/auth/register', { body: credentials })
      expect(created.statusCode).toBe(201)
      expect(created.json.user.email).toBe(`warm${round}@example.com`)

      const login = await invoke('POST', '/v1/auth/login', { body: credentials })
      expect(login.statusCode).toBe(200)
      apiKey = login.json.apiKey
      const me = await invoke('GET', '/v1/me', { headers: { authorization: `Bearer ${apiKey}` } })
      expect(me.statusCode).toBe(200)
      expect(me.json).toEqual(created.json.user)

      const invalid = await invoke('POST', '/v1/auth/register', { body: '{"email":' })
      expect(invalid.statusCode).toBe(400)
      expect(invalid.json.error.code).toBe('bad_request')

      const ready = await invoke('GET', '/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
      expect(ready.statusCode).toBe(200)
      expect(ready.json.pools[0].max).toBe(2)
    }
    // Warm: one pool across invocations. 4 acquires a round (register, login, me, readyz); /health
    // and the malformed body never touch the database.
    expect(handler.connections.stats().acquires).toBe(8)
  })

  it('uses the API Gateway source IP for the ops allow-list', async () => {
    const allowListed = createLambdaHandler({ DATABASE_URL: db.url, OPS_ALLOW_IPS: '198.51.100.0/24', DB_APPLICATION_NAME: appName, LOG_LEVEL: 'silent' })
    const ok = await allowListed(httpApiEvent('GET', '/readyz', { sourceIp: '198.51.100.9' }), lambdaContext())
    const denied = await allowListed(httpApiEvent('GET', '/readyz', { sourceIp: '203.0.113.9' }), lambdaContext())
    expect([ok.statusCode, denied.statusCode]).toEqual([200, 401])
    await allowListed.connections.end()
  })

  it('never goes above the pool max, even when invocations overlap, and drains after the idle timeout', async () => {
    const auth = { authorization: `Bearer ${apiKey}` }
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => invoke('POST', '/v1/contacts', { body: { email: `burst${i}@example.com` }, headers: auth })))
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    expect(maxSeen).toBeLessThanOrEqual(2)
    await waitFor(async () => (await db.connections(appName)).length === 0, 500 + 1000)
  })

  it('runs the right task for an EventBridge schedule, in both event shapes', async () => {
    const scheduled = createLambdaHandler({ ...TEST_ENV, DATABASE_URL: db.url, TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, DB_APPLICATION_NAME: appName, LOG_LEVEL: 'silent' })
    // What serverless.yml sends: the input transformer's {"lowtideTask", "scheduledAt"}.
    const viaInput = (await scheduled({ lowtideTask: 'ledger-cleanup', scheduledAt: '2026-07-01T03:30:00Z' }, lambdaContext())) as TaskRunResult
    expect(viaInput).toMatchObject({ task: 'ledger-cleanup', statusCode: 200, body: { status: 'succeeded', scheduledAt: '2026-07-01T03:30:00.000Z' } })
    // The raw scheduled event of a rule named <service>-<stage>-<task>.
    const raw = {
      version: '0', id: 'c6f6f1f6-0000-4000-8000-000000000000', 'detail-type': 'Scheduled Event' as const, source: 'aws.events' as const,
      account: '123456789012', time: '2026-07-01T08:00:00Z', region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/lowtide-prod-low-credit-notices'], detail: {},
    }
    const viaRule = (await scheduled(raw, lambdaContext())) as TaskRunResult
    expect(viaRule).toMatchObject({ task: 'low-credit-notices', statusCode: 200, body: { status: 'succeeded', scheduledAt: '2026-07-01T08:00:00.000Z' } })
    const again = (await scheduled(raw, lambdaContext())) as TaskRunResult
    expect(again.body).toMatchObject({ status: 'duplicate' })
    const unknown = (await scheduled({ lowtideTask: 'nope' }, lambdaContext())) as TaskRunResult
    expect(unknown.statusCode).toBe(404)
    await scheduled.connections.end()
  })

  it('refuses to build with invalid configuration, naming the variable', () => {
    expect(() => createLambdaHandler({ DATABASE_URL: db.url, DB_POOL_MAX: 'two' })).toThrow(/DB_POOL_MAX/)
  })
})
