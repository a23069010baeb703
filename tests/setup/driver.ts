/** Per test file: start the Neon WebSocket proxy when the suite runs with TEST_DB_DRIVER=neon-ws. */
import { beforeAll } from 'vitest'
import { useNeonProxyIfAsked } from '../helpers/app.js'

beforeAll(() => useNeonProxyIfAsked())
