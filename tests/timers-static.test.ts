import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { findTimerViolations } from '../tools/check-timers.js'

describe('zero background timers (static check)', () => {
  it('finds no setInterval and no uncleared setTimeout in src/ and functions/', () => {
    expect(findTimerViolations()).toEqual([])
  })

  it('would catch one', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-timers-'))
    fs.mkdirSync(path.join(root, 'src'))
    fs.writeFileSync(path.join(root, 'src', 'poller.ts'), 'export const start = () => setInterval(() => poll(), 10_000)\n')
    fs.writeFileSync(path.join(root, 'src', 'sleep.ts'), 'export const nap = () => new Promise((r) => setTimeout(r, 5))\n')
    const found = findTimerViolations(root, ['src'])
    fs.rmSync(root, { recursive: true })
    expect(found.map((v) => [v.file, v.rule])).toEqual([
      [path.join('src', 'poller.ts'), 'setInterval is forbidden in runtime code'],
      [path.join('src', 'sleep.ts'), 'setTimeout without a clearTimeout in the same file'],
    ])
  })
})
