/** lowtide's own Node entry for bench:http, configured from env; prints its port on stdout. */
import { startNodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'

const config = loadConfig({ ...process.env, PORT: '0' }, 'node')
const server = await startNodeServer(config, { logger: createLogger('warn') })
console.log(JSON.stringify({ port: Number(new URL(server.url).port) }))
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
