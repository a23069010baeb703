/**
 * How an email leaves. `EMAIL_TRANSPORT=db` (default) records it in `sent_emails`, which is what
 * development, tests and demos want; `http` POSTs it as JSON to `EMAIL_HTTP_URL` with a bearer key,
 * the shape most email APIs (or a small relay in front of SMTP) accept.
 */
import type { EmailConfig } from './config.js'
import type { Queryable } from '../../db/types.js'
import { randomToken } from '../../crypto.js'

export interface EmailMessage {
  /** `verification`, `campaign`, `notice`: what the message is, for records and filtering. */
  kind: string
  to: string
  from: string
  subject: string
  body: string
  userId?: string
  scheduledEmailId?: string | number
}

export interface EmailTransport {
  readonly name: 'db' | 'http'
  /** `db` is the current scope: the `db` transport records there, `http` does not need it. */
  send(db: Queryable, message: EmailMessage): Promise<{ messageId: string }>
}

export class EmailSendError extends Error {
  override name = 'EmailSendError'
  constructor(
    message: string,
    /** A 4xx other than 408/429 will fail the same way again. */
    readonly permanent: boolean,
  ) {
    super(message)
  }
}

/** Stable for a scheduled email (so a retried send carries the same idempotency key), random otherwise. */
const newMessageId = (message?: EmailMessage) =>
  message?.scheduledEmailId !== undefined ? `lt-email-${message.scheduledEmailId}` : `lt-${randomToken(16)}`

export const dbTransport: EmailTransport = {
  name: 'db',
  async send(db, message) {
    const messageId = newMessageId(message)
    await db.query(
      // A scheduled email is recorded once whatever retries happen: its id is the idempotency key.
      `INSERT INTO sent_emails (message_id, user_id, scheduled_email_id, kind, to_email, from_email, subject, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (scheduled_email_id) WHERE scheduled_email_id IS NOT NULL DO NOTHING`,
      [messageId, message.userId ?? null, message.scheduledEmailId ?? null, message.kind, message.to, message.from, message.subject, message.body],
    )
    return { messageId }
  },
}

export function httpTransport(config: Pick<EmailConfig, 'httpUrl' | 'httpKey' | 'httpTimeoutMs'>, fetchImpl: typeof fetch = fetch): EmailTransport {
  const url = config.httpUrl
  if (!url) throw new Error('EMAIL_HTTP_URL is required for the http email transport')
  return {
    name: 'http',
    async send(_db, message) {
      const messageId = newMessageId(message)
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), config.httpTimeoutMs)
      let res: Response
      try {
        res = await fetchImpl(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(config.httpKey ? { authorization: `Bearer ${config.httpKey}` } : {}),
            'idempotency-key': messageId,
          },
          body: JSON.stringify({ messageId, ...message }),
          signal: controller.signal,
        })
      } catch (err) {
        const reason = controller.signal.aborted ? `timed out after ${config.httpTimeoutMs} ms` : (err as Error).message
        throw new EmailSendError(`email API unreachable: ${reason}`, false)
      } finally {
        clearTimeout(timer)
      }
      if (!res.ok) {
        const text = (await res.text().catch(() => '')).slice(0, 200)
        throw new EmailSendError(`email API answered ${res.status}: ${text}`, res.status < 500 && res.status !== 408 && res.status !== 429)
      }
      const answer = (await res.json().catch(() => ({}))) as { id?: unknown; messageId?: unknown }
      const id = answer.messageId ?? answer.id
      return { messageId: typeof id === 'string' && id ? id : messageId }
    },
  }
}

export function createEmailTransport(config: EmailConfig): EmailTransport {
  return config.transport === 'http' ? httpTransport(config) : dbTransport
}
