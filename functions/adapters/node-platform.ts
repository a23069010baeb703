/** What Node gives an app on lowtide's runtime — the Node server and Lambda alike. */
import type { RuntimeConfig } from '../../src/config/runtime.js'
import type { Sha256 } from '../../src/crypto.js'
import type { ConnectionSource } from '../../src/db/types.js'
import type { PlatformDeps } from '../../src/http/types.js'
import type { Logger } from '../../src/logger.js'
import type { QueuePublisher } from '../../src/queue/publisher.js'
import { nodeSha256 } from '../node-crypto.js'
import { publicOnlyFetch, resolveHost } from '../public-fetch.js'
import { createSqsPublisher } from '../sqs-publisher.js'

/** The runtime's deps and Node's platform clients. */
export interface NodePlatform<C extends RuntimeConfig = RuntimeConfig> extends PlatformDeps {
  config: C
  logger: Logger
  connections: ConnectionSource
  publisher: QueuePublisher
  sha256: Sha256
  /** All addresses of a host name. */
  resolveHost(host: string): Promise<string[]>
  /** A fetch whose connections refuse non-public addresses (user-supplied URLs), except `allowHosts`. */
  publicOnlyFetch(allowHosts: readonly string[]): typeof fetch
}

/** Node's clients, built once from the config. */
export function nodePlatform<C extends RuntimeConfig>(config: C, logger: Logger, connections: ConnectionSource): Omit<NodePlatform<C>, 'clientIp'> {
  return { config, logger, connections, publisher: createSqsPublisher(config.queue, logger), sha256: nodeSha256, resolveHost, publicOnlyFetch }
}
