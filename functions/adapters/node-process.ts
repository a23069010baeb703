/** A Node server as a process: configured from the environment, closed gracefully on SIGINT/SIGTERM. */
import { ConfigError, type Env, type Platform, type RuntimeConfig } from '../../src/config/runtime.js'
import { createLogger, type Logger } from '../../src/logger.js'
import type { NodeServer } from './node.js'

/** SIGINT/SIGTERM → close the server, drain the pool, run `after` (e.g. stop Postgres), exit. */
export function exitOnSignals(close: () => Promise<void>, logger: Logger): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    close().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error('shutdown failed', { error: err.message })
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/** An entry run as a program: config from the environment (a bad one is one line and exit 1), served until SIGINT/SIGTERM. */
export async function runNode<C extends RuntimeConfig>(load: (env: Env, platform: Platform) => C, start: (config: C, options: { logger: Logger }) => Promise<NodeServer>): Promise<void> {
  let config: C
  try {
    config = load(process.env, 'node')
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(err.message)
    process.exit(1)
  }
  const logger = createLogger(config.logLevel)
  const server = await start(config, { logger })
  logger.info('listening', { url: server.url })
  exitOnSignals(() => server.close(), logger)
}
