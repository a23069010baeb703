/** The Worker entry factory (src/runtime/worker.ts) outside workerd: what it does with a cron trigger the registry does not know. */
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createWorkerEntry, loadRuntimeConfig } from '../src/runtime/index.js'

afterEach(() => vi.restoreAllMocks())

describe('createWorkerEntry', () => {
  it('logs a warning naming a cron trigger that runs no registered task (instead of running nothing silently)', () => {
    const lines: string[] = []
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line))
    const entry = createWorkerEntry({
      load: loadRuntimeConfig,
      build: () => new Hono(),
      schedules: [{ name: 'digest', cron: '*/5 * * * *' }],
    })
    const waited: Promise<unknown>[] = []
    entry.scheduled({ cron: '7 7 * * *', scheduledTime: Date.now() }, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, { waitUntil: (p: Promise<unknown>) => waited.push(p), passThroughOnException: () => undefined } as never)
    expect(waited).toEqual([])
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'cron trigger runs no registered task')
    expect(warning).toMatchObject({ level: 'warn', cron: '7 7 * * *', crons: ['*/5 * * * *'] })
  })

  it('picks the outbox transport from the env: the Queues binding when there is one, a clear 500 when it is asked for and missing', async () => {
    const transports: string[] = []
    const entry = createWorkerEntry({
      load: loadRuntimeConfig,
      build: (platform) => {
        transports.push(platform.publisher.transport)
        return new Hono().get('/', (c) => c.text('ok'))
      },
      schedules: [],
    })
    const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined } as never
    const db = 'postgres://nobody@127.0.0.1:1/none'
    const binding = { sendBatch: async () => undefined }
    await entry.fetch(new Request('http://w/'), { DATABASE_URL: db, OUTBOX_QUEUE: binding }, ctx)
    await entry.fetch(new Request('http://w/'), { DATABASE_URL: db, OUTBOX_QUEUE: binding, OUTBOX_TRANSPORT: 'none' }, ctx)
    await entry.fetch(new Request('http://w/'), { DATABASE_URL: db }, ctx)
    expect(transports).toEqual(['cloudflare-queues', 'none', 'none'])
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const missing = await entry.fetch(new Request('http://w/'), { DATABASE_URL: db, OUTBOX_TRANSPORT: 'cloudflare-queues' }, ctx)
    expect(missing.status).toBe(500)
    expect(await missing.json()).toMatchObject({ error: { code: 'config_invalid', message: expect.stringMatching(/OUTBOX_QUEUE: OUTBOX_TRANSPORT=cloudflare-queues needs a Cloudflare Queues producer binding named OUTBOX_QUEUE/) } })
  })
})
