import type { DbConfig } from '../config.js'
import type { Logger } from '../logger.js'
import { createPerRequestSource } from './drivers/per-request.js'
import { createPoolSource } from './drivers/pool.js'
import type { ConnectionSource } from './types.js'

/** The connection source `DB_CONNECTION_MODE` asks for. */
export function createConnectionSource(db: DbConfig, connectionString: string, logger: Logger): ConnectionSource {
  return db.mode === 'per-request'
    ? createPerRequestSource({ db, connectionString, logger })
    : createPoolSource({ db, connectionString, logger })
}
