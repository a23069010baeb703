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
})
