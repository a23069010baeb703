import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, 'node')
    expect(c).toMatchObject({ port: 8787, host: '127.0.0.1', requestTimeoutMs: 30_000, bodyLimitBytes: 1_048_576 })
    expect(c.db).toMatchObject({
      mode: 'pool',
      poolMax: 5,
      idleTimeoutMs: 10_000,
      connectTimeoutMs: 2000,
      maxLifetimeS: 3600,
      statementTimeoutMs: 20_000,
      leakWarnMs: 10_000,
      applicationName: 'lowtide',
    })
  })

  it('picks per-platform defaults: a smaller pool on Lambda, a connection per request on Workers', () => {
    expect(loadConfig({}, 'lambda').db.poolMax).toBe(2)
    expect(loadConfig({}, 'worker').db.mode).toBe('per-request')
  })

  it.each([
    ['DB_POOL_MAX', 'abc'],
    ['DB_POOL_MAX', '0'],
    ['DB_IDLE_TIMEOUT_MS', '-5'],
    ['DB_CONNECT_TIMEOUT_MS', '1.5'],
    ['DB_MAX_LIFETIME_S', 'forever'],
    ['DB_STATEMENT_TIMEOUT_MS', 'x'],
    ['DB_LEAK_WARN_MS', '0'],
    ['DB_CONNECTION_MODE', 'magic'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['OPS_TOKEN', 'short'],
    ['OPS_ALLOW_IPS', '10.0.0.1, not-an-ip'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_API', '100 per minute'],
    ['RATE_LIMIT_AUTH', '5/0m'],
    ['TRUST_PROXY_HOPS', '-1'],
    ['AUTH_PBKDF2_ITERATIONS', '200000'],
    ['EMAIL_HTTP_URL', 'ftp://mail'],
  ])('rejects %s=%s, naming the variable', (variable, value) => {
    let error: unknown
    try {
      loadConfig({ [variable]: value }, 'node')
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain(variable)
  })

  it('reads rate limits as count/window, or off', () => {
    const c = loadConfig({ RATE_LIMIT_API: '250/10m', RATE_LIMIT_ADMIN: 'off', RATE_LIMIT_CAMPAIGN_START: '3 / 45' }, 'node')
    expect(c.rateLimits).toMatchObject({
      api: { max: 250, windowS: 600 },
      admin: undefined,
      auth: { max: 5, windowS: 900 },
      campaignCreate: { max: 20, windowS: 3600 },
      campaignStart: { max: 3, windowS: 45 },
    })
  })

  it('turns settings that cannot take effect into warnings, not failures', () => {
    expect(loadConfig({}, 'node').warnings).toEqual([])
    // What serverless-offline passes for `!Ref OutboxQueue`: no queue, and a reason.
    const unresolved = loadConfig({ SQS_QUEUE_URL: '[object Object]' }, 'lambda')
    expect(unresolved.queue).toMatchObject({ queueUrl: undefined, disabledReason: expect.stringMatching(/^SQS_QUEUE_URL is not an http\(s\) URL \(got "\[object Object\]"\): queue disabled/) })
    expect(unresolved.warnings).toEqual([unresolved.queue.disabledReason])
    expect(loadConfig({ SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q' }, 'lambda').queue).toMatchObject({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', disabledReason: undefined })
    expect(loadConfig({ AUTH_PBKDF2_ITERATIONS: '5000' }, 'worker').warnings).toEqual([expect.stringMatching(/AUTH_PBKDF2_ITERATIONS=5000 is below 10000/)])
    expect(loadConfig({ AUTH_PBKDF2_ITERATIONS: '50000' }, 'worker').warnings).toEqual([])
  })

  it("chooses the outbox's transport by OUTBOX_TRANSPORT, refusing what the platform cannot do", () => {
    expect(loadConfig({}, 'node').queue.transport).toBe('auto')
    expect(() => loadConfig({ OUTBOX_TRANSPORT: 'cloudflare-queues' }, 'node')).toThrow(/OUTBOX_TRANSPORT: cloudflare-queues is a Workers binding; on node use sqs/)
    expect(() => loadConfig({ OUTBOX_TRANSPORT: 'cloudflare-queues' }, 'lambda')).toThrow(ConfigError)
    expect(loadConfig({ OUTBOX_TRANSPORT: 'cloudflare-queues' }, 'worker').queue.transport).toBe('cloudflare-queues')
    expect(() => loadConfig({ OUTBOX_TRANSPORT: 'sqs' }, 'node')).toThrow(/SQS_QUEUE_URL: required with OUTBOX_TRANSPORT=sqs/)
    expect(() => loadConfig({ OUTBOX_TRANSPORT: 'kafka' }, 'node')).toThrow(/OUTBOX_TRANSPORT/)
  })

  it('never echoes a secret back in the error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' }, 'node')).toThrow(/^(?!.*hunter2).*DATABASE_URL/)
  })

  it("signs SQS requests for the queue's own region: from SQS_REGION, else the queue URL, else us-east-1", () => {
    const region = (env: Record<string, string>) => loadConfig(env, 'lambda').queue.region
    // A Lambda in eu-west-1 with its queue there: a request signed for us-east-1 would be refused.
    expect(region({ SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/lowtide-outbox' })).toBe('eu-west-1')
    expect(region({ SQS_QUEUE_URL: 'https://ap-southeast-2.queue.amazonaws.com/123456789012/q' })).toBe('ap-southeast-2')
    expect(region({ SQS_QUEUE_URL: 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q' })).toBe('cn-north-1')
    expect(region({ SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q', SQS_REGION: 'eu-central-1' })).toBe('eu-central-1')
    expect(region({ SQS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/q' })).toBe('us-east-1')
    expect(region({})).toBe('us-east-1')
  })

  it('stops the Node entry at start-up with a message naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'functions/node.ts'], {
      env: { ...process.env, DATABASE_URL: 'postgres://127.0.0.1:1/x', DB_POOL_MAX: 'lots' },
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/Invalid configuration: DB_POOL_MAX/)
  })
})

describe("README's table of variables", () => {
  it('is the one generated from the declarations (npm run docs:config)', async () => {
    const { readmeWithTable, configTable } = await import('../tools/config-docs.js')
    const readme = (await import('node:fs')).readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain(configTable())
    expect(readmeWithTable(readme)).toBe(readme)
  })

  it('shows each declared default as loadConfig applies it', async () => {
    const { variables } = await import('../src/config.js')
    const parsed = Object.fromEntries(Object.entries(variables).map(([name, v]) => [name, v.schema.parse(undefined)]))
    for (const [name, v] of Object.entries(variables)) {
      const value = parsed[name]
      if (typeof value === 'number' || typeof value === 'string') expect([name, v.defaultText]).toEqual([name, expect.stringContaining(String(value))])
    }
  })
})
