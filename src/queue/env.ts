import type { ScopeEnv } from '../http/types.js'
import type { Outbox } from './outbox.js'

/** What `outboxScope` gives a request that changes something: `c.get('outbox')`. */
export type OutboxEnv = { Variables: { outbox: Outbox } }

/** Every variable the runtime's middleware sets: the database scope and the outbox. Apps extend it. */
export type RuntimeEnv = { Variables: ScopeEnv['Variables'] & OutboxEnv['Variables'] }
