/**
 * Lambda events as AWS sends them: API Gateway HTTP API (payload 2.0), EventBridge rule and
 * Scheduler invocations, SQS batches, and a Lambda context. tests/lambda-events.test.ts checks each
 * against the `@aws-lambda-powertools/parser` schemas, so a field AWS sends cannot go missing here.
 */
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda'
import type { SqsEvent } from '../../src/queue/sqs-batch.js'
import { apiGatewayTime, HTTP_API_ACCOUNT, HTTP_API_REGION, httpApiEventFor } from '../../tools/lib/api-gateway.js'
import { sqsRecord, type SqsRecordInput } from '../../tools/lib/sqs-record.js'

const REGION = HTTP_API_REGION
const ACCOUNT = HTTP_API_ACCOUNT

export { apiGatewayTime }

export interface HttpApiEventOptions {
  body?: unknown
  headers?: Record<string, string>
  query?: Record<string, string>
  sourceIp?: string
  /** A named stage puts `/<stage>` in front of `rawPath`, as AWS does. @default '$default' */
  stage?: string
}

export function httpApiEvent(method: string, path: string, { body, headers = {}, query, sourceIp = '198.51.100.23', stage = '$default' }: HttpApiEventOptions = {}): LambdaEvent {
  const rawBody = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return httpApiEventFor({
    method,
    rawPath: stage === '$default' ? path : `/${stage}${path}`,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers: {
      accept: '*/*',
      'user-agent': 'curl/8.5.0',
      ...(rawBody !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(rawBody)) } : {}),
      ...headers,
    },
    ...(rawBody !== undefined ? { body: rawBody } : {}),
    sourceIp,
    stage,
  }) as unknown as LambdaEvent
}

/** The raw Scheduled Event of an EventBridge rule (what a rule without input sends). */
export function ruleEvent(ruleName: string, time: string) {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${ruleName}`],
    detail: {},
  }
}

/**
 * What an input transformer (`inputPathsMap: {time: $.time}`, the template cron:sync writes) or a
 * Scheduler input with `<aws.scheduler.scheduled-time>` makes of an occurrence.
 */
export function scheduleInput(task: string, scheduledAt?: string) {
  return scheduledAt === undefined ? { lowtideTask: task } : { lowtideTask: task, scheduledAt }
}

/** EventBridge Scheduler's event shape, for a schedule whose target input is an EventBridge event. */
export function schedulerEvent(scheduleName: string, time: string) {
  return { ...ruleEvent(scheduleName, time), source: 'aws.scheduler', resources: [`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${scheduleName}`] }
}

export const TEST_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:lowtide-outbox`

export function sqsEvent(records: (Omit<SqsRecordInput, 'queueArn'> & { queueArn?: string })[]): SqsEvent {
  return { Records: records.map((r) => sqsRecord({ queueArn: TEST_QUEUE_ARN, ...r })) }
}

export function lambdaContext(functionName = 'lowtide-dev-api'): LambdaContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/23/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as LambdaContext
}
