/** Node 20 (end of life, still used for local development) has no global WebSocket: Neon's driver (DB_DRIVER=neon-ws) gets the `ws` package's. Node 22+, Lambda and Workers have their own. */
import { neonConfig } from '@neondatabase/serverless'
import { WebSocket } from 'ws'

if (!(globalThis as { WebSocket?: unknown }).WebSocket) neonConfig.webSocketConstructor = WebSocket as unknown as typeof neonConfig.webSocketConstructor
