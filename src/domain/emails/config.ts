/** How emails leave. */
import { httpUrl, int, oneOf, secret, text, type Values } from '../../config/define.js'

export const emailVariables = {
  EMAIL_TRANSPORT: oneOf({ values: ['db', 'http'], default: 'db', doc: '`db`: record messages in `sent_emails`; `http`: POST them as JSON to `EMAIL_HTTP_URL`' }),
  EMAIL_HTTP_URL: httpUrl({ doc: 'required with `EMAIL_TRANSPORT=http`' }),
  EMAIL_HTTP_KEY: secret({ doc: 'sent as `Authorization: Bearer …` to `EMAIL_HTTP_URL`' }),
  EMAIL_HTTP_TIMEOUT_MS: int({ min: 1, max: 120_000, default: 10_000, doc: 'per send' }),
  EMAIL_FROM: text({ default: 'lowtide <no-reply@lowtide.local>', max: 320, doc: "sender of the product's own emails (verification)" }),
}

export interface EmailConfig {
  /** `db` records messages in `sent_emails`; `http` POSTs them as JSON to `httpUrl`. */
  transport: 'db' | 'http'
  httpUrl: string | undefined
  httpKey: string | undefined
  httpTimeoutMs: number
  /** Sender of the product's own emails (verification). */
  from: string
}

export function emailConfig(v: Values<typeof emailVariables>): EmailConfig {
  return { transport: v.EMAIL_TRANSPORT, httpUrl: v.EMAIL_HTTP_URL, httpKey: v.EMAIL_HTTP_KEY, httpTimeoutMs: v.EMAIL_HTTP_TIMEOUT_MS, from: v.EMAIL_FROM }
}
