/**
 * `npm run dev:worker`: the Worker in `wrangler dev` (workerd, locally) against an embedded
 * PostgreSQL, with cron testing on. Trigger a scheduled run with
 *   curl "http://127.0.0.1:8787/__scheduled?cron=*+*+*+*+*"
 * Secrets reach wrangler in a dev-vars file readable by this user only (never on its command line,
 * where `ps` shows them to everyone). Ctrl-C stops wrangler and the database.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/config.js'
import { randomToken } from '../src/crypto.js'
import { createLogger } from '../src/logger.js'
import { seedDemoData } from './lib/demo-data.js'
import { defaultDataDir, startEmbeddedPostgres } from './lib/embedded-postgres.js'
import { migrateDatabase } from './lib/migrations.js'

/** A dev-vars file (KEY="value" lines) in a private temporary directory, mode 0600. */
export function writeDevVars(vars: Record<string, string>): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-dev-worker-'))
  const file = path.join(dir, '.dev.vars')
  fs.writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}\n`).join(''), { mode: 0o600 })
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/**
 * `wrangler dev`'s arguments: given env files replace `.dev.vars`, so a project's own `.dev.vars`
 * comes first (its other values still apply) and ours after it (ours win).
 */
export function wranglerDevArgs(port: string, devVarsFile: string, projectDevVars = path.resolve('.dev.vars')): string[] {
  const envFiles = [...(fs.existsSync(projectDevVars) ? [projectDevVars] : []), devVarsFile]
  return ['dev', '--ip', '127.0.0.1', '--port', port, '--test-scheduled', '--var', 'LOG_LEVEL:info', ...envFiles.flatMap((f) => ['--env-file', f])]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()

async function main() {
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

  const devVars = writeDevVars({ DATABASE_URL: url, OPS_TOKEN: opsToken, TASK_SIGNING_SECRET: signingSecret })
  const wrangler = spawn(process.execPath, [path.resolve('node_modules/wrangler/bin/wrangler.js'), ...wranglerDevArgs(port, devVars.file)], {
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  })
  console.log(`
    lowtide Worker (wrangler dev) on http://127.0.0.1:${port}
      database   ${pg ? `embedded PostgreSQL on 127.0.0.1:${pg.port}` : 'DATABASE_URL'}
      ops token  ${opsToken}
      demo key   ${demo.apiKey}
      cron       curl "http://127.0.0.1:${port}/__scheduled?cron=*+*+*+*+*"   (any cron of cron/schedules.ts)
  `)
  const stop = async () => {
    wrangler.kill('SIGTERM')
    devVars.remove()
    await pg?.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
  wrangler.on('exit', () => void stop())
}
