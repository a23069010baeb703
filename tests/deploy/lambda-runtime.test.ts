/**
 * The Lambda artifacts as Lambda runs them: each zip unzipped alone into an empty directory (no
 * node_modules anywhere above it), its handler — the one serverless.yml names — loaded by AWS's own
 * Runtime Interface Client on this Node (24 in CI) with the function's serverless.yml environment,
 * frozen between invocations. Driven through the whole path: an HTTP write through API Gateway's
 * event shape → the outbox → SQS (fauxqs) → the consumer artifact, fed by an event source mapping
 * stand-in → /queue/deliver on the api artifact → a loopback receiver that verifies the signature.
 *
 * Every chunk an artifact loads on demand must be loaded here: a CommonJS package imported lazily
 * once became a chunk with only a `default` export, and every side effect failed in the zips
 * ("s is not a constructor") while the source under tsx worked.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildLambdas, type LambdaArtifact } from '../../tools/build-lambda.js'
import { httpApiEventFor, startApiGateway, type ApiGateway } from '../../tools/lib/api-gateway.js'
import { RIC_INSTALLED, RIC_MISSING, startLambdaEnvironment, unzipTaskRoot, type LambdaEnvironment } from '../../tools/lib/lambda-runtime.js'
import { startNeonProxy, type NeonProxy } from '../../tools/lib/neon-proxy.js'
import { startSqsPoller, type Poller } from '../../tools/lib/sqs-poller.js'
import type { SqsBatchResponse } from '../../src/queue/sqs-batch.js'
import { TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { freshDatabase, uniqueAppName, type TestDatabase } from '../helpers/db.js'
import { startLocalSqs, type LocalSqs } from '../helpers/fauxqs.js'
import { scheduleInput } from '../helpers/lambda-events.js'
import { deployedFunction, type DeployedFunction } from '../helpers/serverless-function.js'
import { TEST_SIGNING_SECRET } from '../helpers/tasks.js'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js'

// Chunks the AWS SDK loads for itself, on paths an SQS client on Node never takes: bowser parses a
// browser's user agent, event streams are for APIs that stream (SQS does not). Each is still imported
// below, to prove it is a real ES module and not a CommonJS `default`.
const SDK_INTERNAL = /^chunks\/(bowser|event-streams)-/

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-lambda-runtime-'))
/** Every execution environment started, with the artifact it runs. */
const started: { artifact: string; env: LambdaEnvironment }[] = []
let artifacts: LambdaArtifact[]
let db: TestDatabase
let sqs: LocalSqs
let receiver: WebhookReceiver
let api: LambdaEnvironment
let gateway: ApiGateway
let consumer: LambdaEnvironment
let poller: Poller
let neon: NeonProxy | undefined
const consumerAnswers: SqsBatchResponse[] = []
const credentials = { email: 'lambda-runtime@example.com', password: 'a long enough password' }
let firstWebhook: { outboxId: string; endpointId: string; auth: Record<string, string> }

/** A new execution environment for a serverless.yml function, from its own unzipped artifact. */
async function environment(fn: DeployedFunction, extra: Record<string, string>): Promise<LambdaEnvironment> {
  const artifact = artifacts.find((a) => path.basename(a.zip) === path.basename(fn.artifact))!
  const env = await startLambdaEnvironment({
    taskRoot: unzipTaskRoot(artifact.zip),
    handler: fn.handler,
    functionName: `lowtide-test-${fn.name}`,
    timeoutS: fn.timeoutS,
    memoryMb: fn.memoryMb,
    environment: { ...fn.environment, ...extra },
  })
  started.push({ artifact: artifact.name, env })
  return env
}

function appFunction(name: 'api' | 'tasks', env: Record<string, string> = {}) {
  const fn = deployedFunction(name, { DATABASE_URL: db.url, OPS_TOKEN: TEST_OPS_TOKEN, TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, SQS_QUEUE_URL: sqs.queueUrl })
  return environment(fn, { ...TEST_ENV, SQS_ENDPOINT: sqs.endpoint, WEBHOOK_ALLOW_HOSTS: '127.0.0.1', DB_APPLICATION_NAME: uniqueAppName('lambda-rt'), ...env })
}

async function call(route: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${gateway.url}${route}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

async function until<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeEach((ctx) => {
  if (!RIC_INSTALLED) ctx.skip(RIC_MISSING)
})

beforeAll(async () => {
  if (!RIC_INSTALLED) return
  ;[artifacts, db, sqs, receiver] = await Promise.all([buildLambdas(outDir), freshDatabase(), startLocalSqs({ visibilityTimeoutS: 120 }), startWebhookReceiver()])
  api = await appFunction('api')
  gateway = await startApiGateway((event) => api.invoke(event))
  const consumerFn = deployedFunction('sqs-consumer', { APP_BASE_URL: gateway.url, SQS_QUEUE_URL: sqs.queueUrl, TASK_SIGNING_SECRET: TEST_SIGNING_SECRET })
  consumer = await environment(consumerFn, { SQS_ENDPOINT: sqs.endpoint })
  // Lambda's event source mapping: receive, invoke, delete what the answer did not report failed.
  poller = startSqsPoller(sqs.sqs, sqs.queueUrl, async (event) => {
    const answer = await consumer.invoke(event)
    if (!answer.ok) throw new Error(`the consumer failed: ${answer.errorType}: ${answer.errorMessage}`)
    consumerAnswers.push(answer.result as SqsBatchResponse)
    return answer.result as SqsBatchResponse
  })
}, 120_000)

afterAll(async () => {
  await poller?.stop()
  await gateway?.close()
  for (const { env } of started) await env.stop()
  await Promise.all([sqs?.stop(), receiver?.close(), neon?.stop(), db?.drop()])
  fs.rmSync(outDir, { recursive: true, force: true })
})

describe(`the Lambda artifacts in AWS's runtime interface client (Node ${process.versions.node})`, () => {
  it('an HTTP write reaches a webhook receiver: api → outbox → SQS → sqs-consumer → /queue/deliver → signed POST', async () => {
    expect((await call('/v1/auth/register', { body: credentials })).status).toBe(201)
    const auth = { authorization: `Bearer ${(await call('/v1/auth/login', { body: credentials })).body.apiKey}` }
    const endpoint = await call('/v1/webhooks', { body: { url: receiver.url, eventTypes: ['email.sent'] }, headers: auth })
    expect(endpoint.status).toBe(201)
    receiver.secret = endpoint.body.secret
    const sentAt = Date.now()
    expect((await call(`/v1/webhooks/${endpoint.body.id}/test`, { method: 'POST', headers: auth })).status).toBe(202)

    const arrived = await until('the webhook', () => receiver.attempts.find((a) => a.at >= sentAt))
    expect(arrived).toMatchObject({ type: 'webhook.test', verified: true, status: 204 })
    const { rows } = await db.observer.query<{ id: string; status: string }>(`SELECT id, status FROM outbox WHERE kind = 'webhook'`)
    expect(rows.map((r) => r.status)).toEqual(['done'])
    firstWebhook = { outboxId: rows[0]!.id, endpointId: endpoint.body.id, auth }
    // Through the queue and the consumer artifact, not the sweep (its answer comes after the delivery).
    await until('the consumer answer', () => consumerAnswers.some((a) => a.batchItemFailures.length === 0))
    expect(api.output() + consumer.output()).not.toMatch(/is not a constructor|publish failed|unreachable/)
  }, 60_000)

  it("a failing receiver: the consumer reports the message and sets its visibility to the 5 s backoff, not the queue's 120 s", async () => {
    const before = consumerAnswers.length
    receiver.failNext(1)
    const sentAt = Date.now()
    expect((await call(`/v1/webhooks/${firstWebhook.endpointId}/test`, { method: 'POST', headers: firstWebhook.auth })).status).toBe(202)

    const failed = await until('the failed attempt', () => receiver.attempts.find((a) => a.at >= sentAt && a.status === 500))
    const reported = await until('the batch failure', () => consumerAnswers.slice(before).find((a) => a.batchItemFailures.length > 0))
    expect(reported.batchItemFailures).toHaveLength(1)
    const hidden = await sqs.sqs.send(new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))
    expect(hidden.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1')
    // Redelivered after the backoff the consumer set; at the queue's own timeout it would take 120 s.
    const retried = await until('the retried attempt', () => receiver.attempts.find((a) => a.at > failed.at && a.status === 204), 30_000)
    expect(retried.at - failed.at).toBeGreaterThanOrEqual(4_000)
    expect(consumer.output()).not.toMatch(/visibility change failed/)
  }, 60_000)

  it('the tasks function: the outbox sweep republishes a lost message through the SDK; an unknown task fails the invocation', async () => {
    const tasks = await appFunction('tasks')
    // The first webhook again, as if its publish had been lost: pending, overdue, never published.
    await db.observer.query(`UPDATE outbox SET status = 'pending', next_attempt_at = now() - interval '5 minutes', published_at = NULL, done_at = NULL WHERE id = $1`, [firstWebhook.outboxId])
    const deliveredBefore = receiver.attempts.length
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString()
    const run = await tasks.invoke(scheduleInput('outbox-sweep', minute))
    expect(run).toMatchObject({ ok: true, result: { task: 'outbox-sweep', ok: true, body: { status: 'succeeded' } } })
    await until('the republished webhook', () => receiver.attempts.slice(deliveredBefore).find((a) => a.status === 204))
    expect(tasks.output()).not.toMatch(/is not a constructor|publish failed/)
    const unknown = await tasks.invoke(scheduleInput('no-such-task'))
    expect(unknown).toMatchObject({ ok: false, errorMessage: expect.stringMatching(/no-such-task failed: 404 unknown_task/) })
  }, 60_000)

  it.each(['postgres', 'neon-ws'] as const)('the api answers with DB_DRIVER=%s, whose driver is a chunk of its own', async (driver) => {
    const env: Record<string, string> = { DB_DRIVER: driver }
    if (driver === 'neon-ws') {
      neon ??= await startNeonProxy()
      Object.assign(env, { NEON_WS_PROXY: neon.template, NEON_WS_INSECURE: '1', DB_CONNECT_TIMEOUT_MS: '20000' })
    }
    const fn = await appFunction('api', env)
    const ready = await fn.invoke(httpApiEventFor({ method: 'GET', rawPath: '/readyz', headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }))
    expect(ready).toMatchObject({ ok: true, result: { statusCode: 200 } })
    expect(JSON.parse((ready as { result: { body: string } }).result.body)).toMatchObject({ status: 'ok', connections: { total: expect.any(Number) } })
  }, 60_000)

  it('every chunk of each artifact was loaded by the runs above (the SDK-internal ones import as ES modules)', () => {
    for (const artifact of artifacts) {
      const seen = new Set(started.filter((s) => s.artifact === artifact.name).flatMap((s) => s.env.loadedFiles()))
      const chunks = artifact.files.filter((f) => f.endsWith('.mjs'))
      expect({ artifact: artifact.name, notLoaded: chunks.filter((f) => !seen.has(f) && !SDK_INTERNAL.test(f)) }).toEqual({ artifact: artifact.name, notLoaded: [] })
      const root = unzipTaskRoot(artifact.zip)
      for (const chunk of chunks.filter((f) => SDK_INTERNAL.test(f))) {
        const keys = execFileSync(process.execPath, ['--input-type=module', '-e', `process.stdout.write(JSON.stringify(Object.keys(await import(${JSON.stringify(path.join(root, chunk))}))))`], { encoding: 'utf8' })
        expect({ chunk, named: JSON.parse(keys).filter((k: string) => k !== 'default').length > 0 }).toEqual({ chunk, named: true })
      }
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
