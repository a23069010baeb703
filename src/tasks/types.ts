/**
 * A task is `(ctx) → { processed, more }`, run by the runner behind `POST /tasks/<name>`, whatever
 * fired it. It works in bounded batches until `ctx.budget` is spent; `more: true` says work is left
 * for a continuation (an immediate re-trigger, or simply the next occurrence).
 */
import type { RuntimeConfig } from '../config/runtime.js'
import type { Db } from '../db/types.js'
import type { Logger } from '../logger.js'
import type { DeliverResult } from '../queue/deliver.js'
import type { Outbox } from '../queue/outbox.js'
import type { QueuePublisher } from '../queue/publisher.js'
import type { ScheduleHealthOptions } from './health.js'
import type { ScheduleWatch } from './incidents.js'

export type OverlapPolicy = 'skip' | 'queue'
/**
 * What happens to occurrences that were missed (no trigger arrived for them):
 * `skip` records them as skipped; `once` runs one catch-up for the latest of them, then the current
 * one; `all` runs each (oldest first, at most `maxCatchUp`).
 */
export type CatchUpPolicy = 'skip' | 'once' | 'all'

export interface TaskBudget {
  /** Epoch ms after which no new batch may start. */
  readonly deadline: number
  remainingMs(): number
  spent(): boolean
}

export interface EnqueueOptions {
  /** The occurrence to run; default: the time of enqueueing (a continuation is an occurrence of its own). */
  scheduledAt?: Date
  /** Not before this many seconds. */
  delaySeconds?: number
}

export interface TaskContext {
  db: Db
  /**
   * Asks for a run of a task (this one or another) through the outbox and the queue: written in
   * this run's database session, published when the run is over. Returns the outbox id.
   */
  enqueue(task: string, options?: EnqueueOptions): Promise<string>
  /** The run's outbox: side effects (webhook events) written here are published after the run. */
  outbox: Outbox
  /** The occurrence this run is for (a cron time, or the time a manual run asked for). */
  scheduledAt: Date
  budget: TaskBudget
  runId: string
  logger: Logger
}

export interface TaskResult {
  processed: number
  more: boolean
  [detail: string]: unknown
}

export type TaskFn = (ctx: TaskContext) => Promise<TaskResult>

/** What the runtime gives every task factory, besides the app's own services. */
export interface TaskRuntime {
  config: RuntimeConfig
  logger: Logger
  queue: {
    publisher: QueuePublisher
    /** Delivers one outbox row here and now, by its kind's handler (the sweep, without a queue). */
    deliver(db: Db, id: string, outbox: Outbox): Promise<DeliverResult>
  }
  /** The registry's health: missing and failing schedules, with their incidents opened once (the sweep checks it). */
  schedules: ScheduleWatch
}

/** Builds a task once per app, from the runtime's deps and the app's services `S`. */
export type TaskFactory<S = unknown> = (deps: TaskRuntime & S) => TaskFn

/**
 * One entry of a schedule registry (`cron/schedules.ts`); `S` is what the app hands its tasks.
 * Without a type argument: any app's entry, for code that reads names, crons and policies.
 */
export interface ScheduleEntry<S = any> {
  name: string
  /** Five-field cron, in `timezone`. */
  cron: string
  /**
   * An IANA time zone (`Europe/Berlin`) the cron is read in, daylight saving included: each local
   * occurrence runs once (a time skipped by spring-forward runs at the first instant after the gap,
   * one repeated by fall-back runs once). @default UTC
   */
  timezone?: string
  description: string
  task: TaskFactory<S>
  /** @default "skip" */
  overlap?: OverlapPolicy
  /** @default "skip" */
  catchUp?: CatchUpPolicy
  /** @default 10 */
  maxCatchUp?: number
  /** Overrides TASK_BUDGET_MS for this task. */
  budgetMs?: number
  /** When this schedule counts as missing or failing (`/readyz`, `/ops`, `npm run monitor`, incidents). */
  health?: ScheduleHealthOptions
  /** How EventBridge Scheduler delivers this schedule on AWS (cron:sync writes it into serverless.yml). */
  aws?: AwsScheduleOptions
}

/**
 * EventBridge Scheduler's delivery settings for one schedule. They cover *delivering* the invocation
 * (throttling, a missing permission): a run that fails is retried by Lambda's own async retries.
 */
export interface AwsScheduleOptions {
  /** 0–185. @default 2 */
  maximumRetryAttempts?: number
  /** 60–86400: a delivery older than this goes to the dead-letter queue. @default 3600 */
  maximumEventAgeInSeconds?: number
  /** The CloudFormation logical id of the SQS queue undeliverable invocations go to. @default "TaskScheduleDeadLetters" */
  deadLetterQueue?: string
}
