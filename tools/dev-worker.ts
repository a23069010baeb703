/**
 * `npm run dev:worker`: the Worker in `wrangler dev` (workerd, locally) against an embedded
 * PostgreSQL, with cron testing on. Trigger a scheduled run with
 *   curl "http://127.0.0.1:8787/__scheduled?cron=*+*+*+*+*"
 * Ctrl-C stops wrangler and the database.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { loadConfig } from '../src/config.js'
import { randomToken } from '../src/crypto.js'
import { createLogger } from '../src/logger.js'
import { seedDemoData } from './lib/demo-data.js'
import { defaultDataDir, startEmbeddedPostgres } from './lib/embedded-postgres.js'
import { migrateDatabase } from './lib/migrations.js'

const port = process.env.PORT ?? '8787'
const opsToken = process.env.OPS_TOKEN || randomToken()
const signingSecret = process.env.TASK_SIGNING_SECRET || randomToken(32)
const logger = createLogger('warn')

// Its own data directory: `npm start` may be running beside it.
const dataDir = path.join(path.dirname(process.env.LOWTIDE_DATA_DIR || defaultDataDir()), 'pgdata-worker')
const pg = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir, persistent: true })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal)
const url = process.env.DATABASE_URL ?? pg!.url
await migrateDatabase(url, logger)
const demo = await seedDemoData(loadConfig({ DATABASE_URL: url, AUTH_PBKDF2_ITERATIONS: '100000' }, 'node'), url, logger)

const vars = { DATABASE_URL: url, OPS_TOKEN: opsToken, TASK_SIGNING_SECRET: signingSecret, LOG_LEVEL: 'info' }
const wrangler = spawn(
  process.execPath,
  [path.resolve('node_modules/wrangler/bin/wrangler.js'), 'dev', '--ip', '127.0.0.1', '--port', port, '--test-scheduled', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
  { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
)
console.log(`
  lowtide Worker (wrangler dev) on http://127.0.0.1:${port}
    database   ${pg ? `embedded PostgreSQL on 127.0.0.1:${pg.port}` : 'DATABASE_URL'}
    ops token  ${opsToken}
    demo key   ${demo.apiKey}
    cron       curl "http://127.0.0.1:${port}/__scheduled?cron=*+*+*+*+*"   (any cron of cron/schedules.ts)
`)
const stop = async () => {
  wrangler.kill('SIGTERM')
  await pg?.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
wrangler.on('exit', () => void stop())
