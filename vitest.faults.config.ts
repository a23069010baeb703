/**
 * `npm run test:faults`: the fault suite — Postgres stopped and killed under writes, connections cut
 * and stalled, lease contention, a frozen and thawed process. One file at a time: these tests stop
 * processes and measure recovery, and a neighbour's load would blur both.
 */
import { defineConfig } from 'vitest/config'

const poolerOnly = process.env.TEST_FAULTS === 'pooler'

export default defineConfig({
  test: {
    // The pooler's own faults run with the PgBouncer suites (npm run test:pgbouncer: TEST_FAULTS=pooler).
    include: poolerOnly ? ['tests/faults/pooler.test.ts'] : ['tests/faults/**/*.test.ts'],
    exclude: poolerOnly ? [] : ['tests/faults/pooler.test.ts'],
    globalSetup: ['tests/setup/postgres.ts', 'tests/faults/report-setup.ts'],
    setupFiles: ['tests/setup/driver.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
