/**
 * `npm run bench:tasks`: campaign-dispatch against graphile-worker on the same Postgres, draining the
 * same number of equivalent email jobs, in alternating rounds.
 *
 * - lowtide: N due scheduled emails; `POST /tasks/campaign-dispatch` (through app.fetch, signed, the
 *   real route) until nothing is pending. Each run works in batches on one connection.
 * - graphile-worker: N jobs queued beforehand (not timed), one per email; a worker with the same
 *   pool size runs them, each job doing what dispatch does for one email: take a credit (with its
 *   ledger row), record the message in sent_emails, mark the email sent — in one transaction.
 *
 * Prints emails/s per round and `ratio: <lowtide emails/s ÷ graphile-worker emails/s>` (target ≥ 1.0).
 * Options: --emails 5000 --rounds 3 --pool 5
 */
import { parseArgs } from 'node:util'
import { Logger, run as runGraphileWorker, type Task } from 'graphile-worker'
import pg from 'pg'
import { schedules } from '../../cron/schedules.js'
import { createApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import { createLogger } from '../../src/logger.js'
import { taskRequest } from '../../src/tasks/trigger.js'
import { migrateDatabase } from '../lib/migrations.js'
import { setUpBenchDatabase } from './database.js'

const { values: opts } = parseArgs({
  options: { emails: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, pool: { type: 'string', default: '5' } },
})
const N = Number(opts.emails)
const rounds = Number(opts.rounds)
const SECRET = 'bench-signing-secret-0123456789abcdef'
const quietLogger = new Logger(() => () => undefined)

const database = await setUpBenchDatabase()
const observer = new pg.Client({ connectionString: database.url, application_name: 'bench-observer' })
try {
  await migrateDatabase(database.url)
  await observer.connect()
  const { rows: users } = await observer.query<{ id: string }>(`INSERT INTO users (email, credit_balance, email_verified_at) VALUES ('bench-tasks@example.com', 100000000, now()) RETURNING id`)
  const userId = users[0]!.id
  await observer.query(`INSERT INTO contacts (user_id, email, first_name) SELECT $1, 'c' || g || '@example.com', 'N' || g FROM generate_series(1, $2) g`, [userId, N])

  /** A running campaign to all contacts with its N emails due now; returns the campaign id. */
  const dueCampaign = async (): Promise<string> => {
    const { rows } = await observer.query<{ id: string }>(
      `WITH c AS (
         INSERT INTO campaigns (user_id, name, from_email, subject_template, body_template, status, start_at, started_at)
         VALUES ($1, 'bench', 'me@example.com', 'Hi {{firstName}}', 'Hello {{firstName}}', 'running', now(), now()) RETURNING id
       ), s AS (INSERT INTO campaign_steps (campaign_id, position, delay_seconds, only_if_no_reply) SELECT id, 1, 0, false FROM c),
       e AS (
         INSERT INTO scheduled_emails (campaign_id, step_position, contact_id, user_id, send_at)
         SELECT c.id, 1, ct.id, $1, now() - interval '1 second' FROM c, contacts ct WHERE ct.user_id = $1
       )
       SELECT id FROM c`,
      [userId],
    )
    return rows[0]!.id
  }
  const pending = async (campaignId: string) =>
    (await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM scheduled_emails WHERE campaign_id = $1 AND status = 'pending'`, [campaignId])).rows[0]!.n

  // lowtide: the real app, the real route.
  const config = loadConfig(
    { DATABASE_URL: database.url, DB_POOL_MAX: opts.pool, TASK_SIGNING_SECRET: SECRET, DISPATCH_RATE_PER_USER: '100000', LOG_LEVEL: 'warn', DB_APPLICATION_NAME: 'bench-lowtide' },
    'node',
  )
  const logger = createLogger('warn')
  const connections = createConnectionSource(config.db, database.url, logger)
  const app = createApp({ config, logger, connections, clientIp: () => '127.0.0.1', schedules })
  const runLowtide = async (): Promise<number> => {
    const campaignId = await dueCampaign()
    const started = performance.now()
    for (let i = 0; i < 10_000 && (await pending(campaignId)) > 0; i++) {
      const res = await app.fetch(taskRequest('http://bench', 'campaign-dispatch', { secret: SECRET, scheduledAt: new Date(Date.now() - 60_000 + i), trigger: 'bench' }))
      if (!res.ok) throw new Error(`dispatch answered ${res.status}: ${await res.text()}`)
    }
    return N / ((performance.now() - started) / 1000)
  }

  // graphile-worker: one job per email, the same work per email.
  const sendEmail: Task = async (payload, helpers) => {
    const { id } = payload as { id: string }
    await helpers.withPgClient(async (client) => {
      await client.query('BEGIN')
      try {
        const { rows } = await client.query(
          `SELECT e.id, e.user_id, ct.email, ct.first_name, c.from_email, c.subject_template, c.body_template
           FROM scheduled_emails e JOIN contacts ct ON ct.id = e.contact_id JOIN campaigns c ON c.id = e.campaign_id
           WHERE e.id = $1 AND e.status = 'pending' FOR UPDATE OF e`,
          [id],
        )
        const email = rows[0]
        if (email) {
          await client.query(
            `WITH u AS (UPDATE users SET credit_balance = credit_balance - 1 WHERE id = $1 AND credit_balance >= 1 RETURNING credit_balance)
             INSERT INTO credit_transactions (user_id, kind, amount, balance_after, reason, reference) SELECT $1, 'consume', 1, credit_balance, 'email sent', 'scheduled_email:' || $2 FROM u`,
            [email.user_id, id],
          )
          await client.query(
            `INSERT INTO sent_emails (message_id, user_id, scheduled_email_id, kind, to_email, from_email, subject, body) VALUES ($1, $2, $3, 'campaign', $4, $5, $6, $7)
             ON CONFLICT (scheduled_email_id) WHERE scheduled_email_id IS NOT NULL DO NOTHING`,
            [`gw-${id}`, email.user_id, id, email.email, email.from_email, email.subject_template.replace('{{firstName}}', email.first_name), email.body_template.replace('{{firstName}}', email.first_name)],
          )
          await client.query(`UPDATE scheduled_emails SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = $1`, [id])
        }
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw err
      }
    })
  }
  const gwPool = new pg.Pool({ connectionString: database.url, max: Number(opts.pool), application_name: 'bench-graphile' })
  gwPool.on('error', (err) => console.error(`graphile-worker pool: ${err.message}`))
  const runGraphile = async (): Promise<number> => {
    const campaignId = await dueCampaign()
    await observer.query(
      `SELECT graphile_worker.add_jobs(array_agg(ROW('send_email', json_build_object('id', id::text), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec))
       FROM scheduled_emails WHERE campaign_id = $1`,
      [campaignId],
    )
    const started = performance.now()
    const runner = await runGraphileWorker({ pgPool: gwPool, concurrency: Number(opts.pool), noHandleSignals: true, pollInterval: 100, taskList: { send_email: sendEmail }, logger: quietLogger })
    while ((await pending(campaignId)) > 0) await new Promise((r) => setTimeout(r, 20))
    const rate = N / ((performance.now() - started) / 1000)
    await runner.stop()
    return rate
  }

  // graphile-worker installs its schema on first run; do that before timing anything.
  await (await runGraphileWorker({ pgPool: gwPool, concurrency: 1, noHandleSignals: true, taskList: { send_email: sendEmail }, logger: quietLogger })).stop()

  console.log(`bench:tasks  ${N} emails per side per round, ${rounds} rounds, pool ${opts.pool}, db transport`)
  const results = { lowtide: [] as number[], graphile: [] as number[] }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['lowtide', 'graphile'] as const) : (['graphile', 'lowtide'] as const)
    for (const side of order) {
      const rate = side === 'lowtide' ? await runLowtide() : await runGraphile()
      results[side].push(rate)
      console.log(`  round ${round + 1}  ${side === 'lowtide' ? 'lowtide campaign-dispatch' : 'graphile-worker         '}  ${rate.toFixed(0).padStart(6)} emails/s`)
    }
  }
  const sent = await observer.query<{ n: number; d: number }>(`SELECT count(*)::int AS n, count(DISTINCT scheduled_email_id)::int AS d FROM sent_emails`)
  const best = (xs: number[]) => Math.max(...xs)
  console.log(`\nbest of rounds: lowtide ${best(results.lowtide).toFixed(0)} emails/s, graphile-worker ${best(results.graphile).toFixed(0)} emails/s`)
  console.log(`sent ${sent.rows[0]!.n} emails, ${sent.rows[0]!.n - sent.rows[0]!.d} duplicates`)
  const ratio = best(results.lowtide) / best(results.graphile)
  console.log(`ratio: ${ratio.toFixed(2)}  (lowtide emails/s ÷ graphile-worker emails/s; target ≥ 1.0 → ${ratio >= 1 ? 'met' : 'NOT met'})`)
  await connections.end()
  await gwPool.end()
} finally {
  await observer.end().catch(() => undefined)
  await database.stop()
}


