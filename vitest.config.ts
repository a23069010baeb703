import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The fault suite stops Postgres and freezes processes: its own run (vitest.faults.config.ts).
    exclude: ['tests/faults/**', 'node_modules/**'],
    globalSetup: ['tests/setup/postgres.ts'],
    setupFiles: ['tests/setup/driver.ts'],
    // Each file gets its own process: process-wide checks (active timers, signals) stay per file.
    pool: 'forks',
    testTimeout: 30_000,
    // The default summary, then the skipped tests and what each needs.
    reporters: ['default', './tests/setup/skipped-reporter.ts'],
    hookTimeout: 90_000,
  },
})
