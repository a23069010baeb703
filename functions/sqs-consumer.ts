/** The SQS consumer Lambda: each message POSTed, signed, to APP_BASE_URL's /queue/deliver (functions/adapters/sqs.ts). */
import { consumerFromEnv } from './adapters/sqs.js'
import { lazyHandler } from './adapters/lazy.js'

export { createConsumer, type ConsumerOptions, type SqsBatchResponse, type SqsEvent, type SqsRecord } from './adapters/sqs.js'

export const handler = lazyHandler(() => consumerFromEnv(process.env))
