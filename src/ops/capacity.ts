/**
 * The server's connections against what it and this deployment allow: lowtide's own (by
 * `application_name`, every database on the server — a pooler sets it on the server connections it
 * lends), all client connections, `max_connections` less the slots reserved for superusers, and the
 * connection budget the deployment declared (cron/capacity.ts). One statement, an ordinary role's view:
 * sessions of other roles count as connections, whatever it may see of them.
 */
import type { Queryable } from '../db/types.js'

export interface Capacity {
  applicationName: string
  /** Server connections whose application_name is this app's, in every database. */
  held: number
  /** Client connections to the server, every application's. */
  serverConnections: number
  maxConnections: number
  /** Of those, kept for superusers (superuser_reserved_connections, reserved_connections): not for this app. */
  reservedConnections: number
  /** DB_CONNECTION_BUDGET, when declared. */
  budget: number | null
  /** held ÷ budget, when there is one. */
  budgetPercent: number | null
}

export async function serverCapacity(db: Queryable, applicationName: string, budget: number | undefined): Promise<Capacity> {
  const { rows } = await db.query<Omit<Capacity, 'applicationName' | 'budget' | 'budgetPercent'>>(
    `SELECT count(*) FILTER (WHERE application_name = $1)::int AS held,
            count(*)::int AS "serverConnections",
            current_setting('max_connections')::int AS "maxConnections",
            (current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0)) AS "reservedConnections"
       FROM pg_stat_activity WHERE backend_type = 'client backend' OR backend_type IS NULL`,
    [applicationName],
  )
  const row = rows[0]!
  return { applicationName, ...row, budget: budget ?? null, budgetPercent: budget ? Math.round((row.held / budget) * 100) : null }
}
