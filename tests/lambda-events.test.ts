/**
 * The Lambda events the tests build are AWS's shapes: each parses with the schemas of
 * `@aws-lambda-powertools/parser` (written from AWS's own event samples), strictly where AWS fixes a
 * format the schema leaves open.
 */
import { createHash } from 'node:crypto'
import { APIGatewayProxyEventV2Schema, EventBridgeSchema, SqsSchema } from '@aws-lambda-powertools/parser/schemas'
import { describe, expect, it } from 'vitest'
import { schedules } from '../cron/schedules.js'
import { scheduledInvocations } from '../src/tasks/schedule-event.js'
import { httpApiEvent, ruleEvent, scheduleInput, schedulerEvent, sqsEvent, TEST_QUEUE_ARN } from './helpers/lambda-events.js'

const issues = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? [] : result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)

describe('Lambda event fixtures', () => {
  it.each([
    ['GET', '/health', {}],
    ['POST', '/v1/auth/login', { body: { email: 'a@example.com', password: 'x' } }],
    ['GET', '/v1/contacts', { query: { limit: '2' }, headers: { authorization: 'Bearer lt_x' }, stage: 'prod' }],
  ] as const)('HTTP API v2 %s %s parses as APIGatewayProxyEventV2', (method, path, options) => {
    const event = httpApiEvent(method, path, options)
    expect(issues(APIGatewayProxyEventV2Schema.safeParse(event))).toEqual([])
    const context = (event as unknown as { requestContext: { time: string; timeEpoch: number } }).requestContext
    // AWS's format, e.g. 17/Jun/2024:15:52:39 +0000 (not toUTCString()).
    expect(context.time).toMatch(/^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/)
  })

  it('an SQS batch parses as SqsSchema, with the fields the consumer reads', () => {
    const event = sqsEvent([{ messageId: '059f36b4-87a3-44ab-83d2-661975830a7d', receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a', body: '{"id":"x"}', receiveCount: 3 }])
    expect(issues(SqsSchema.safeParse(event))).toEqual([])
    const [record] = event.Records
    expect(record).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: TEST_QUEUE_ARN, awsRegion: 'eu-west-1', attributes: { ApproximateReceiveCount: '3' } })
    // SQS's MD5OfBody: the hex MD5 of the body, which Lambda passes on.
    expect(record!.md5OfBody).toBe(createHash('md5').update('{"id":"x"}').digest('hex'))
  })

  it('EventBridge rule and Scheduler events parse as EventBridgeSchema and name their task', () => {
    for (const event of [ruleEvent('lowtide-prod-outbox-sweep', '2026-07-01T08:00:00Z'), schedulerEvent('lowtide-prod-outbox-sweep', '2026-07-01T08:00:00Z')]) {
      expect(issues(EventBridgeSchema.safeParse(event))).toEqual([])
      expect(scheduledInvocations(event, schedules)).toEqual([{ name: 'outbox-sweep', scheduledAt: new Date('2026-07-01T08:00:00Z') }])
    }
    // The input form carries the same occurrence.
    expect(scheduledInvocations(scheduleInput('outbox-sweep', '2026-07-01T08:00:00Z'), schedules)).toEqual([{ name: 'outbox-sweep', scheduledAt: new Date('2026-07-01T08:00:00Z') }])
  })
})

describe('a Scheduled Event that names no rule (a tick)', () => {
  it('is every task due at its minute, or an error when none is', () => {
    const hourly = [
      { name: 'hourly', cron: '0 * * * *' },
      { name: 'daily', cron: '30 3 * * *' },
    ]
    const tick = (time: string) => scheduledInvocations({ ...ruleEvent('x', time), resources: [] }, hourly)
    expect(tick('2026-07-01T03:00:41Z')).toEqual([{ name: 'hourly', scheduledAt: new Date('2026-07-01T03:00:00Z') }])
    expect(tick('2026-07-01T03:30:00Z')).toEqual([{ name: 'daily', scheduledAt: new Date('2026-07-01T03:30:00Z') }])
    expect(() => tick('2026-07-01T03:07:00Z')).toThrow(/names no rule, at 2026-07-01T03:07:00.000Z, when no task is due \(tasks: hourly 0 \* \* \* \*, daily 30 3 \* \* \*\)/)
  })
})
