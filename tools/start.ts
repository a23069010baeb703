/**
 * `npm start`: embedded PostgreSQL (unless DATABASE_URL is set) → migrations → the Node server on
 * 127.0.0.1:PORT. Prints the URL and the ops token. Ctrl-C / SIGTERM stops the server, drains the
 * pool and stops Postgres; the data directory is kept, so data survives restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { exitOnSignals, startNodeServer } from '../functions/node.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { randomToken } from '../src/crypto.js'
import { createLogger } from '../src/logger.js'
import { defaultDataDir, postmasterRunning, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './lib/embedded-postgres.js'
import { seedDemoData } from './lib/demo-data.js'
import { startLocalQueue } from './lib/local-queue.js'
import { clearStartState, readStartState, startStateFile, writeStartState } from './lib/start-state.js'
import { migrateDatabase } from './lib/migrations.js'

/**
 * One line about an old Node instead of the AWS SDK's nine-line warning (which it prints on Node < 22
 * as soon as an SQS client exists, whether or not a real queue is in use).
 */
function quietOldNode(): void {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= 22) return
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  console.warn(`warning: Node ${process.versions.node} is past its end of life; lowtide runs on Node 22 or 24 LTS (Lambda: nodejs24.x)`)
}

async function main() {
  quietOldNode()
  const env = { ...process.env }
  env.OPS_TOKEN ||= randomToken()
  // The dev clock signs its task requests with this; generated per start like the ops token.
  env.TASK_SIGNING_SECRET ||= randomToken(32)
  // The queue: fauxqs on loopback unless SQS_QUEUE_URL names a real one.
  const localQueue = env.SQS_QUEUE_URL || env.LOWTIDE_LOCAL_QUEUE === '0' ? undefined : await startLocalQueue()
  if (localQueue) {
    env.SQS_QUEUE_URL = localQueue.queueUrl
    env.SQS_ENDPOINT = localQueue.endpoint
  }
  // The embedded database is Postgres itself, no pooler in between: the timeout at connect, prepared statements.
  if (!env.DATABASE_URL) env.DB_POOLER ??= 'none'
  const config = loadConfig(env, 'node')
  const logger = createLogger(config.logLevel)

  let embedded: EmbeddedPostgresHandle | undefined
  if (!config.db.url) {
    const dataDir = process.env.LOWTIDE_DATA_DIR || defaultDataDir()
    const busy = postmasterRunning(dataDir)
    if (busy) throw new Error(inUse(dataDir, busy, config.port))
    embedded = await startEmbeddedPostgres({ dataDir, persistent: true })
    config.db.url = embedded.url
    writeStartState({ url: embedded.url, pid: process.pid })
    // The banner says where it is; the log line is for LOG_LEVEL=debug.
    logger.debug('embedded postgres started', { port: embedded.port, dataDir })
  }

  const stopPostgres = async () => {
    clearStartState()
    await localQueue?.stop()
    await embedded?.stop()
  }
  try {
    // One line for the migrations, not one per migration (`npm run migrate` lists them).
    const applied = await migrateDatabase(config.db.url)
    logger.info('migrations up to date', { applied: applied.length, ...(applied.length ? { ids: applied } : {}) })
    const demo = process.env.LOWTIDE_DEMO_DATA === '0' ? undefined : await seedDemoData(config, config.db.url, logger)
    const server = await startNodeServer(config, { logger })
    writeStartState({ pid: process.pid, serverUrl: server.url, taskSigningSecret: env.TASK_SIGNING_SECRET })
    const clock = process.env.LOWTIDE_DEV_CLOCK === '0' ? undefined : startDevClock(server.url, env.TASK_SIGNING_SECRET)
    localQueue?.consumeInto(server.url, env.TASK_SIGNING_SECRET)
    // embedded-postgres installs signal hooks when it is loaded (DATABASE_URL or not) that stop
    // Postgres and exit at once (code 143, in-flight requests cut); we stop everything ourselves,
    // after the server has drained (startEmbeddedPostgres keeps a last-resort stop on exit).
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal)
    exitOnSignals(async () => {
      clock?.kill('SIGTERM')
      await localQueue?.stop()
      await server.close()
      await stopPostgres()
    }, logger)

    console.log(`
  lowtide is running
    base URL   ${server.url}
    health     curl ${server.url}/health
    readiness  curl -H 'Authorization: Bearer ${config.opsToken}' ${server.url}/readyz
    ops token  ${config.opsToken}
    API docs   ${server.url}/docs
    dev clock  ${clock ? 'fires cron/schedules.ts against this server (LOWTIDE_DEV_CLOCK=0 turns it off)' : 'off'}
    queue      ${localQueue ? `fauxqs on ${localQueue.endpoint}, consumed into this server by functions/sqs-consumer.ts` : env.SQS_QUEUE_URL ?? 'none: the outbox-sweep task delivers'}
    run a task npm run task -- campaign-dispatch   (signs with the secret kept in ${startStateFile()}, readable by you only)
${
  demo
    ? `    demo user  ${demo.email} / ${demo.password}${demo.created ? ' (created now)' : ''}
    demo key   ${demo.apiKey}
    try        curl -H 'Authorization: Bearer ${demo.apiKey}' ${server.url}/v1/campaigns
`
    : ''
}    database   ${embedded ? `embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${embedded.dataDir})` : 'DATABASE_URL'}
  Ctrl-C stops the server and the database.
`)
  } catch (err) {
    await stopPostgres()
    throw err
  }
}

/** Why a second `npm start` on the same data directory cannot start, and the way out, in one line. */
function inUse(dataDir: string, postgresPid: number, port: number): string {
  const other = readStartState()
  const owner = other ? `another npm start (pid ${other.pid}${other.serverUrl ? `, serving ${other.serverUrl}` : ''})` : `PostgreSQL pid ${postgresPid}`
  return `the data directory ${dataDir} is in use by ${owner}. Stop that one (Ctrl-C), or give this one its own: LOWTIDE_DATA_DIR=${dataDir}-2 PORT=${port + 1} npm start`
}

/** The dev clock: a child process firing the registry's crons at the server over HTTP. */
function startDevClock(url: string, secret: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../cron/dev-clock.ts', import.meta.url)), '--url', url], {
    env: { ...process.env, TASK_SIGNING_SECRET: secret },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  process.on('exit', () => child.kill('SIGTERM'))
  return child
}

main().catch((err: unknown) => {
  // Start-up failures (bad config, port taken, database unreachable) are the user's to fix: say what
  // failed; the stack only helps with LOG_LEVEL=debug.
  const debug = process.env.LOG_LEVEL === 'debug'
  if (err instanceof Error && debug && !(err instanceof ConfigError)) console.error(err)
  else console.error(`lowtide could not start: ${err instanceof Error ? err.message : String(err ?? 'unknown error (LOG_LEVEL=debug shows more)')}`)
  process.exit(1)
})
