/** JSON-lines logger on `console`, which every platform has (Workers and Lambda ship it to their logs). */
import type { LogLevel } from './config/server.js'

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export interface LogRecord extends LogFields {
  level: Exclude<LogLevel, 'silent'>
  msg: string
}

export function createLogger(
  level: LogLevel = 'info',
  write: (record: LogRecord) => void = (record) => console.log(JSON.stringify(record)),
): Logger {
  const min = rank[level]
  const emit = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: LogFields) => {
    if (rank[lvl] >= min) write({ level: lvl, msg, ...fields })
  }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}

/** Collects records in memory: for tests, and for anyone who wants to assert on warnings. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = []
  return Object.assign(createLogger(level, (r) => records.push(r)), { records })
}

/** Writes nothing (for callers that must pass a logger and have nothing to say). */
export const silentLogger: Logger = createLogger('silent')
