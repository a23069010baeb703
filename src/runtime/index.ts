/**
 * lowtide's runtime: what a Hono app needs to run on Postgres from Workers, Lambda and Node with a
 * connection per request (or task run), no background timers, recurring work as signed tasks, side
 * effects through an outbox, and ops endpoints. Everything here is platform-free; the Node and
 * Lambda entry factories are in `functions/adapters/` (they hold Node's clients: node:crypto, DNS,
 * the AWS SDK), as `@hono/node-server` and `hono/aws-lambda` are beside Hono.
 *
 * An app: `createRuntime({...})` → add routes with `app.openapi(route({...}), handler)` → hand it to
 * an entry factory (`createWorkerEntry` here, `serveNode` / `createLambdaEntry` in functions/adapters).
 */

// The app and its routes
export { createRuntime, type Runtime, type RuntimeDeps } from './app.js'
export { createWorkerEntry, type WorkerEntryOptions, type WorkerEnv, type WorkerPlatform, type WorkerQueueOptions } from './worker.js'
export type { OutboxEnv, RuntimeEnv } from '../queue/env.js'
export type { PlatformDeps, ScopeEnv } from '../http/types.js'
export { documentRoute, errorBody, openApiApp, route, type Auth } from '../http/openapi.js'
export { decodeCursor, keyset, pageQuery, toPage, type Page } from '../http/pagination.js'
export { rateLimit } from '../http/rate-limit.js'
export { isForbiddenAddress } from '../http/public-address.js'
export { AppError, errorResponse, notFound, validationError } from '../errors.js'

// Configuration: the runtime's sections, and the helpers an app declares its own variables with
export {
  ConfigError,
  httpUrl,
  int,
  list,
  oneOf,
  parseVariables,
  rateLimit as rateLimitVariable,
  secret,
  text,
  type Env,
  type RateLimitRule,
  type Values,
  type Variable,
  type Variables,
} from '../config/define.js'
export { loadRuntimeConfig, runtimeConfig, runtimeVariables, type DbConfig, type LogLevel, type Platform, type QueueConfig, type RuntimeConfig, type TaskConfig } from '../config/runtime.js'
export { createLogger, memoryLogger, silentLogger, type Logger } from '../logger.js'
export { portableSha256, randomToken, type Sha256 } from '../crypto.js'

// The database
export type { ConnectionSource, Db, PoolStats, Queryable, QueryResult, QueryResultRow, Statement } from '../db/types.js'
export { createConnectionSource } from '../db/connections.js'
export { RequestScope } from '../db/scope.js'
export { DbUnavailableError, sqlState, CHECK_VIOLATION, FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from '../db/errors.js'
export { migrate, type Migration } from '../db/migrate.js'

// Tasks and their triggers
export type { AwsScheduleOptions, EnqueueOptions, ScheduleEntry, TaskBudget, TaskContext, TaskFactory, TaskFn, TaskResult, TaskRuntime } from '../tasks/types.js'
export { runBatches, type BatchOutcome } from '../tasks/budget.js'
export { outboxSweep } from '../tasks/outbox-sweep.js'
export { ledgerCleanup, type Prune } from '../tasks/ledger-cleanup.js'
export { TASK_RUNNING, TaskRunningError } from '../tasks/runner.js'
export { dueAt, dueOnFiring, EVERY_MINUTE, isKnownTrigger, ownTrigger, planWorkersTriggers, TICK, toWorkersCron } from '../tasks/triggers.js'
export { scheduledInvocations, ScheduleEventError, type Schedule } from '../tasks/schedule-event.js'
export { INTERNAL_BASE_URL, runScheduledTask, ScheduledTaskError, type ScheduledRun } from '../tasks/scheduled-run.js'
export { taskRequest } from '../tasks/trigger.js'
export { signRequest, TRIGGER_HEADER } from '../http/signing.js'

// Side effects: the outbox and its consumer
export { Outbox, type OutboxMessage } from '../queue/outbox.js'
export { PermanentFailure, Postpone, RetryLater, type DeliverResult, type OutboxHandler, type OutboxRow } from '../queue/deliver.js'
export { createFetchSqsPublisher, disabledPublisher, type QueuePublisher, type QueueTransport } from '../queue/publisher.js'
export { createQueueBindingPublisher, createQueueConsumer, type QueueBatch, type QueueMessage, type QueueProducer } from '../queue/cloudflare-queue.js'
export { createSqsBatchConsumer, isSqsEvent, type SqsBatchResponse, type SqsEvent, type SqsRecord } from '../queue/sqs-batch.js'

// Ops
export type { DashboardPanel } from '../ops/dashboard-data.js'
