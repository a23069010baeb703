/**
 * `npm run test:faults`: the fault suite — Postgres stopped and killed under writes, connections cut
 * and stalled, lease contention, a frozen and thawed process. One file at a time: these tests stop
 * processes and measure recovery, and a neighbour's load would blur both.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    globalSetup: ['tests/setup/postgres.ts', 'tests/faults/report-setup.ts'],
    setupFiles: ['tests/setup/driver.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
