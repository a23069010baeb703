import type { Queryable } from '../db/types.js'

export interface ConnectionCounts {
  total: number
  active: number
  idle: number
  idleInTransaction: number
}

/** This application's server-side connections to the current database, from `pg_stat_activity`. */
export async function appConnections(db: Queryable, applicationName: string): Promise<ConnectionCounts> {
  const { rows } = await db.query<ConnectionCounts>(
    `SELECT count(*)::int                                                  AS "total",
            count(*) FILTER (WHERE state = 'active')::int                  AS "active",
            count(*) FILTER (WHERE state = 'idle')::int                    AS "idle",
            count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS "idleInTransaction"
       FROM pg_stat_activity
      WHERE application_name = $1 AND datname = current_database()`,
    [applicationName],
  )
  return rows[0] ?? { total: 0, active: 0, idle: 0, idleInTransaction: 0 }
}
