/** Where outbox ids go after commit (SQS or Cloudflare Queues) and how often a row is tried before it is dead. */
import { httpUrl, int, isHttpUrl, oneOf, secret, text, type Values } from './define.js'

export const OUTBOX_TRANSPORTS = ['auto', 'sqs', 'cloudflare-queues', 'none'] as const
export type OutboxTransportChoice = (typeof OUTBOX_TRANSPORTS)[number]

export const queueVariables = {
  OUTBOX_TRANSPORT: oneOf({
    values: OUTBOX_TRANSPORTS,
    default: 'auto',
    doc: 'how outbox ids leave after commit. `auto`: on Workers the `OUTBOX_QUEUE` Cloudflare Queues binding when there is one, else SQS when `SQS_QUEUE_URL` is set, else none; `cloudflare-queues` (Workers only) requires the binding; `sqs` requires `SQS_QUEUE_URL`; `none`: the `outbox-sweep` task delivers',
  }),
  // Not a URL is a warning, not a stop: see queueConfig.
  SQS_QUEUE_URL: text({
    defaultText: 'fauxqs (`npm start`)',
    doc: 'the queue outbox ids go to; unset elsewhere: the `outbox-sweep` task delivers instead. A value that is not an http(s) URL (an unresolved `!Ref` under serverless-offline) turns the queue off with a logged warning, shown in `/readyz` as `queue.reason`',
  }),
  SQS_ENDPOINT: httpUrl({ doc: 'a non-AWS SQS endpoint (fauxqs, LocalStack); AWS credentials come from the usual SDK chain' }),
  SQS_REGION: text({
    defaultText: "the region in `SQS_QUEUE_URL` (`https://sqs.<region>.amazonaws.com/…`), else `us-east-1`",
    refine: [(v) => AWS_REGION.test(v), 'an AWS region like eu-west-1'],
    doc: "the queue's region, which signs every request to it (the SDK does not take it from the queue URL)",
  }),
  QUEUE_MAX_ATTEMPTS: int({ min: 1, max: 50, default: 8, doc: 'deliveries of an outbox row before it is marked dead (webhooks always get 8)' }),
  AWS_ACCESS_KEY_ID: text({ defaultText: 'the SDK chain', doc: 'on Workers (no AWS credential chain there) the outbox publisher signs its SQS requests with these three' }),
  AWS_SECRET_ACCESS_KEY: secret({ defaultText: 'the SDK chain', doc: 'see `AWS_ACCESS_KEY_ID`' }),
  AWS_SESSION_TOKEN: secret({ defaultText: 'the SDK chain', doc: 'see `AWS_ACCESS_KEY_ID`' }),
}

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/
// sqs.<region>.amazonaws.com(.cn), and the legacy <region>.queue.amazonaws.com.
const AWS_QUEUE_HOST = /^(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?$/

/** The region an AWS queue URL names; undefined for other hosts (fauxqs, LocalStack). */
export function regionOfQueueUrl(queueUrl: string | undefined): string | undefined {
  if (!queueUrl || !URL.canParse(queueUrl)) return undefined
  const match = new URL(queueUrl).hostname.match(AWS_QUEUE_HOST)
  const region = match?.[1] ?? match?.[2]
  return region && AWS_REGION.test(region) ? region : undefined
}

export interface QueueConfig {
  /** The transport asked for; the platform entry resolves `auto` (src/queue/transport.ts). */
  transport: OutboxTransportChoice
  /** The SQS queue that carries outbox ids; unset: rows wait for the sweep task. */
  queueUrl: string | undefined
  /** Why the queue is off although SQS_QUEUE_URL is set (e.g. a CloudFormation reference nothing resolved). */
  disabledReason: string | undefined
  /** A non-AWS endpoint (fauxqs, LocalStack). */
  endpoint: string | undefined
  region: string
  /** Deliveries of one outbox row before it is marked dead. */
  maxAttempts: number
  /**
   * From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) when set: Workers have no
   * AWS credential chain, so the Worker needs them as secrets. Elsewhere the SDK's chain applies.
   */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined
}

export function queueConfig(v: Values<typeof queueVariables>): QueueConfig {
  return {
    transport: v.OUTBOX_TRANSPORT,
    ...queueUrlOf(v.SQS_QUEUE_URL),
    endpoint: v.SQS_ENDPOINT,
    // A request signed for another region than the queue's is refused (SignatureDoesNotMatch).
    region: v.SQS_REGION ?? regionOfQueueUrl(v.SQS_QUEUE_URL) ?? 'us-east-1',
    maxAttempts: v.QUEUE_MAX_ATTEMPTS,
    credentials:
      v.AWS_ACCESS_KEY_ID && v.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: v.AWS_ACCESS_KEY_ID, secretAccessKey: v.AWS_SECRET_ACCESS_KEY, ...(v.AWS_SESSION_TOKEN ? { sessionToken: v.AWS_SESSION_TOKEN } : {}) }
        : undefined,
  }
}

/**
 * A queue URL that is not a URL turns the queue off with a reason, instead of stopping start-up:
 * tools that cannot resolve CloudFormation (serverless-offline, `invoke local`) pass `!Ref OutboxQueue`
 * through as "[object Object]", and every route that needs no queue should still work there.
 * Nothing is lost: outbox rows wait for the `outbox-sweep` task, which delivers them itself.
 */
function queueUrlOf(value: string | undefined): { queueUrl: string | undefined; disabledReason: string | undefined } {
  if (value === undefined || isHttpUrl(value)) return { queueUrl: value, disabledReason: undefined }
  return {
    queueUrl: undefined,
    disabledReason: `SQS_QUEUE_URL is not an http(s) URL (got ${JSON.stringify(value.slice(0, 100))}): queue disabled, outbox rows wait for the outbox-sweep task`,
  }
}
