/** The one way a task loops (runBatches) and the one way lowtide waits before a retry (lowtide_backoff, in Postgres). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBudget, runBatches } from '../../src/tasks/budget.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'

describe('runBatches', () => {
  it('runs batches until one comes back short: nothing left', async () => {
    const sizes = [10, 10, 4]
    const result = await runBatches(createBudget(60_000), async () => {
      const n = sizes.shift()!
      return { processed: n, full: n === 10 }
    })
    expect(result).toEqual({ processed: 24, more: false, batches: 3 })
  })

  it('starts no batch after the deadline and says work is left', async () => {
    let now = 0
    const budget = { deadline: 100, remainingMs: () => Math.max(0, 100 - now), spent: () => now >= 100 }
    const result = await runBatches(budget, async () => {
      now += 40
      return { processed: 5, full: true }
    })
    expect(result).toEqual({ processed: 15, more: true, batches: 3 })
    expect(await runBatches(budget, async () => ({ processed: 1, full: false }))).toEqual({ processed: 0, more: true, batches: 0 })
  })
})

describe('lowtide_backoff', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase()
  })
  afterAll(() => db.drop())

  it('doubles from its base by attempts made, up to its cap', async () => {
    const { rows } = await db.observer.query<{ s: number }>(
      `SELECT extract(epoch FROM lowtide_backoff(n, interval '30 seconds', interval '2 hours'))::int AS s FROM generate_series(0, 10) AS n ORDER BY n`,
    )
    expect(rows.map((r) => r.s)).toEqual([30, 30, 60, 120, 240, 480, 960, 1920, 3840, 7200, 7200])
  })
})
