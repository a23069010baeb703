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

/**
 * A batch's messages to deliver — the first of each outbox id — and the copies after it. An
 * at-least-once queue may hand over two copies of one message in one batch; delivered side by side,
 * the copy would find the row claimed by the first and ask to be retried, spending a receive toward
 * the dead-letter queue for work that happens once anyway. Copies are acknowledged instead: if the
 * first fails, its own message comes back, and the row stays the truth.
 */
export function splitCopies<T>(messages: readonly T[], bodyOf: (message: T) => unknown): { toDeliver: T[]; copies: T[] } {
  const seen = new Set<string>()
  const toDeliver: T[] = []
  const copies: T[] = []
  for (const message of messages) {
    const id = messageId(bodyOf(message))
    if (id !== undefined && seen.has(id)) copies.push(message)
    else toDeliver.push(message)
    if (id !== undefined) seen.add(id)
  }
  return { toDeliver, copies }
}
