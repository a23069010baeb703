/** What an outbox message carries on any queue: the row's id (and its kind, for people reading the queue). */
export interface OutboxMessage {
  id: string
  kind: string
}

/** The outbox id in a message body (a JSON string on SQS, a parsed object on Cloudflare Queues), or undefined if it has none. */
export function messageId(body: unknown): string | undefined {
  let value = body
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body)
    } catch {
      return undefined
    }
  }
  const id = (value as { id?: unknown } | null)?.id
  return typeof id === 'string' ? id : undefined
}
