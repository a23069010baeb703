import type { DbConfig } from '../config/runtime.js'
import type { Logger } from '../logger.js'
import { createPerRequestSource } from './drivers/per-request.js'
import { createPoolSource } from './drivers/pool.js'
import { createNeonHttpSource } from './drivers/neon-http.js'
import { createNeonWsSource } from './drivers/neon-ws.js'
import { createPostgresSource } from './drivers/postgres.js'
import type { ConnectionSource } from './types.js'

/** The connection source `DB_DRIVER` and `DB_CONNECTION_MODE` ask for. */
export function createConnectionSource(db: DbConfig, connectionString: string, logger: Logger): ConnectionSource {
  if (db.driver === 'neon-ws') return createNeonWsSource({ db, connectionString, logger })
  if (db.driver === 'neon-http') return createNeonHttpSource({ db, connectionString, logger })
  if (db.driver === 'postgres') return createPostgresSource({ db, connectionString, logger })
  return db.mode === 'per-request'
    ? createPerRequestSource({ db, connectionString, logger })
    : createPoolSource({ db, connectionString, logger })
}
