/**
 * THE connection budget of this deployment: how many connections lowtide may hold where
 * `DATABASE_URL` points. Nothing bounds the number of Lambda environments or Worker isolates but
 * what the platforms are told, so `npm run cron:sync` turns this into their caps (capacity-plan.ts):
 * the tasks function's reserved concurrency, the SQS consumer's maximum concurrency, the Cloudflare
 * Queues consumer's max_concurrency, the api's reserved concurrency when nothing else keeps it within
 * the budget, and `DB_CONNECTION_BUDGET` for /readyz, /ops and `npm run monitor`. `npm run cron:check`
 * fails, with the arithmetic, when the worst case exceeds it. README *Capacity* says how to choose.
 */

export interface ConnectionBudget {
  /** Connections lowtide may hold where DATABASE_URL points. */
  connections: number
  /**
   * What DATABASE_URL reaches: `pooler` (transaction mode: PgBouncer, Neon's or Supabase's pooler,
   * RDS Proxy, Supavisor), which queues clients beyond its server pool — `connections` is what it
   * accepts from lowtide, its server pool is its own; or `postgres` itself, which refuses beyond
   * max_connections — `connections` is that, less what other clients and superusers need.
   */
  reaches: 'pooler' | 'postgres'
  /** Lambda's concurrency limit for the account and region (1 000 unless raised): what an uncapped function scales to. */
  lambdaAccountConcurrency: number
  /** Of the budget, the part the queue consumers' deliveries may use; beyond it messages wait in their queue. */
  queueShare: number
  /** Workers' requests touching the database at once at the peak, each with a connection of its own (0 through Hyperdrive, which pools them). */
  workersPeakRequests: number
}

export const connectionBudget: ConnectionBudget = {
  // Neon's pooler takes 10 000 client connections, a PgBouncer's max_client_conn is what you set it
  // to; half of that for this deployment.
  connections: 5000,
  reaches: 'pooler',
  lambdaAccountConcurrency: 1000,
  queueShare: 0.25,
  workersPeakRequests: 200,
}
