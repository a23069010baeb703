import { describe, expect, it } from 'vitest'
import { perRequestDeadlines, SharedDeadlines } from '../../src/http/deadlines.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const refedTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe.each([
  ['shared', (ms: number) => new SharedDeadlines(ms)],
  ['per request', perRequestDeadlines],
])('%s deadlines', (_name, make) => {
  it('expire in order, once each, and never after cancel', async () => {
    const deadlines = make(60)
    const expired: string[] = []
    deadlines.start(() => expired.push('a'))
    await sleep(20)
    const b = deadlines.start(() => expired.push('b'))
    deadlines.start(() => expired.push('c'))
    b.cancel()
    await sleep(150)
    expect(expired).toEqual(['a', 'c'])
  })

  it('leave no timer behind once every deadline is cancelled', () => {
    // Counted within one synchronous stretch: the test runner's own timers come and go between awaits.
    const before = refedTimeouts()
    const deadlines = make(50)
    const started = Array.from({ length: 20 }, () => deadlines.start(() => undefined))
    expect(refedTimeouts()).toBeGreaterThan(before)
    started.forEach((d) => d.cancel())
    expect(refedTimeouts()).toBe(before)
  })

  it('leave no timer behind once every deadline has expired', async () => {
    const deadlines = make(30)
    let expired = 0
    for (let i = 0; i < 5; i++) deadlines.start(() => expired++)
    await sleep(100)
    expect(expired).toBe(5)
    const probe = deadlines.start(() => undefined)
    const withOne = refedTimeouts()
    probe.cancel()
    expect(refedTimeouts()).toBe(withOne - 1)
  })
})

describe('shared deadlines', () => {
  it('use a single timer for many requests and re-arm for the next one when the first finishes early', async () => {
    const deadlines = new SharedDeadlines(80)
    const expired: number[] = []
    const before = refedTimeouts()
    const first = deadlines.start(() => expired.push(1))
    expect(refedTimeouts()).toBe(before + 1)
    await sleep(30)
    const withFirst = refedTimeouts()
    deadlines.start(() => expired.push(2))
    deadlines.start(() => expired.push(3))
    expect(refedTimeouts()).toBe(withFirst)
    first.cancel()
    await sleep(70) // past the first's deadline: an early wake-up that finds nothing due
    expect(expired).toEqual([])
    expect(deadlines.armed).toBe(true)
    await sleep(60)
    expect(expired).toEqual([2, 3])
    expect(deadlines.armed).toBe(false)
  })
})
