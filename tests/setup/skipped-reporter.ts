/**
 * After the summary, names every test that was skipped and what it needs (the note given to
 * `ctx.skip(note)`), so a fresh machine's `npm test` says at the end, not in the middle, what it did
 * not check and how to make it.
 */
import type { Reporter, TestModule } from 'vitest/node'

export default class SkippedReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped = new Map<string, string[]>()
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result()
        if (result.state !== 'skipped') continue
        const why = result.note ?? 'skipped'
        skipped.set(why, [...(skipped.get(why) ?? []), `${module.moduleId.replace(/^.*\/tests\//, 'tests/')} > ${test.name}`])
      }
    }
    if (skipped.size === 0) return
    const count = [...skipped.values()].reduce((n, tests) => n + tests.length, 0)
    const lines = [`\nskipped ${count} test${count === 1 ? '' : 's'}:`]
    for (const [why, tests] of skipped) lines.push(`  ${why}`, ...tests.map((t) => `    - ${t}`))
    console.log(lines.join('\n'))
  }
}
