/**
 * The runtime's configuration: its sections' variables (server, database, tasks, queue), parsed
 * once from the environment with zod; a bad value fails fast with a message naming the variable.
 * An app adds its own sections (the outreach backend: src/domain/config.ts) through `loadConfig`.
 */
import { dbConfig, dbVariables, type DbConfig } from './db.js'
import { ConfigError, parseVariables, type Env, type Values } from './define.js'
import { queueConfig, queueVariables, type QueueConfig } from './queue.js'
import { serverConfig, serverVariables, type Platform, type ServerConfig } from './server.js'
import { taskConfig, taskVariables, type TaskConfig } from './tasks.js'

export { ConfigError } from './define.js'
export { type Env, type RateLimitRule, type Variables } from './define.js'
export type { ConnectionMode, DbConfig } from './db.js'
export type { QueueConfig } from './queue.js'
export type { LogLevel, Platform, ServerConfig } from './server.js'
export type { TaskConfig } from './tasks.js'

export const runtimeVariables = { ...serverVariables, ...dbVariables, ...taskVariables, ...queueVariables }

export interface RuntimeConfig extends ServerConfig {
  platform: Platform
  /** Settings that were set but cannot take effect; each logs once at start-up. */
  warnings: string[]
  db: DbConfig
  tasks: TaskConfig
  queue: QueueConfig
}

export function runtimeConfig(v: Values<typeof runtimeVariables>, platform: Platform): RuntimeConfig {
  const queue = queueConfig(v)
  if (queue.transport === 'cloudflare-queues' && platform !== 'worker') {
    throw new ConfigError([{ variable: 'OUTBOX_TRANSPORT', message: `cloudflare-queues is a Workers binding; on ${platform} use sqs (or auto)` }])
  }
  if (queue.transport === 'sqs' && v.SQS_QUEUE_URL === undefined) throw new ConfigError([{ variable: 'SQS_QUEUE_URL', message: 'required with OUTBOX_TRANSPORT=sqs' }])
  return {
    platform,
    warnings: queue.disabledReason ? [queue.disabledReason] : [],
    ...serverConfig(v),
    db: dbConfig(v, platform),
    tasks: taskConfig(v),
    queue,
  }
}

export function loadRuntimeConfig(env: Env, platform: Platform): RuntimeConfig {
  return runtimeConfig(parseVariables(runtimeVariables, env), platform)
}
