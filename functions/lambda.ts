/** The outreach backend on AWS Lambda (functions/adapters/lambda.ts): HTTP API, schedules and SQS batches. */
import { createApp } from '../src/app.js'
import { loadConfig, type Env } from '../src/config.js'
import { schedules } from '../cron/schedules.js'
import { createLambdaEntry, lazyHandler, type LambdaHandler } from './adapters/lambda.js'

export { UnrecognizedEventError, type LambdaHandler } from './adapters/lambda.js'

export const createLambdaHandler = (env: Env): LambdaHandler =>
  createLambdaEntry(env, {
    load: loadConfig,
    build: (platform) => createApp({ ...platform, webhookFetch: platform.publicOnlyFetch(platform.config.webhooks.allowHosts), schedules }),
    schedules,
  })

/** The deployed handler: built on the first invocation of an execution environment, then reused. */
export const handler = lazyHandler(() => createLambdaHandler(process.env))
