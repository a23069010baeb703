/**
 * lowtide's Node entry as a child process, configured from env (PORT is always 0): prints
 * `{"port":…}` on stdout once it listens, for `startServerProcess` (bench:http, the fault suite).
 */
import { startNodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'

const config = loadConfig({ ...process.env, PORT: '0' }, 'node')
const server = await startNodeServer(config, { logger: createLogger(config.logLevel) })
console.log(JSON.stringify({ port: Number(new URL(server.url).port) }))
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
