/**
 * Users are mirrored to the chat agent server (`CHAT_AGENT_SERVER_URL`): once at registration with
 * a short timeout, and by `chat-agent-sync-retry` (every 5 min) for those that failed, with growing
 * delays (1 min, 2, 4, … capped at 6 h). Without a URL the sync is off.
 */
import type { ChatAgentConfig } from '../../config.js'
import type { Queryable } from '../../db/types.js'
import type { OutboxHandler } from '../../queue/deliver.js'
import type { TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'

export interface SyncedUser {
  id: string
  email: string
  name: string | null
  attempts: number
}

export async function pushUser(config: ChatAgentConfig, fetchImpl: typeof fetch, user: SyncedUser): Promise<string | undefined> {
  if (!config.url) return 'chat agent sync is off'
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), config.timeoutMs)
  try {
    const res = await fetchImpl(new URL('users', config.url.endsWith('/') ? config.url : `${config.url}/`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) },
      body: JSON.stringify({ id: user.id, email: user.email, name: user.name }),
      signal: controller.signal,
    })
    await res.body?.cancel()
    return res.ok ? undefined : `chat agent answered ${res.status}`
  } catch (err) {
    return controller.signal.aborted ? `chat agent timed out after ${config.timeoutMs} ms` : `chat agent unreachable: ${(err as Error).message}`
  } finally {
    clearTimeout(timer)
  }
}

export async function recordSync(db: Queryable, userId: string, error: string | undefined): Promise<void> {
  await db.query(
    `UPDATE users SET
       chat_sync_status = CASE WHEN $2::text IS NULL THEN 'synced' ELSE 'failed' END,
       chat_sync_attempts = chat_sync_attempts + 1,
       chat_sync_error = $2,
       chat_synced_at = CASE WHEN $2::text IS NULL THEN now() ELSE chat_synced_at END,
       chat_sync_next_at = CASE WHEN $2::text IS NULL THEN NULL
                               ELSE now() + least(interval '6 hours', interval '1 minute' * power(2, chat_sync_attempts)) END
     WHERE id = $1`,
    [userId, error ?? null],
  )
}

export const CHAT_SYNC_KIND = 'chat-sync'

/**
 * The outbox kind `chat-sync` (written at registration): one attempt, recorded on the user; a
 * failure is retried by the queue, and `chat-agent-sync-retry` catches whatever still slips through.
 */
export function chatSyncHandler(config: ChatAgentConfig, fetchImpl: typeof fetch): OutboxHandler {
  return async (row, db) => {
    const { rows } = await db.query<SyncedUser & { status: string }>(
      `SELECT id, email, name, chat_sync_attempts AS attempts, chat_sync_status AS status FROM users WHERE id = $1`,
      [String(row.payload.userId)],
    )
    const user = rows[0]
    if (!user || user.status === 'synced' || !config.url) return
    const error = await pushUser(config, fetchImpl, user)
    await recordSync(db, user.id, error)
    if (error) throw new Error(error)
  }
}

const BATCH = 50
const CONCURRENCY = 5

export const chatAgentSyncRetry: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const config = deps.config.chatAgent
  if (!config.url) return { processed: 0, more: false, disabled: true }
  let processed = 0
  let synced = 0
  let full = false
  while (!ctx.budget.spent()) {
    // Users registered in the last minute are left to their own registration attempt.
    const { rows } = await ctx.db.query<SyncedUser>(
      `SELECT id, email, name, chat_sync_attempts AS attempts FROM users
       WHERE chat_sync_status <> 'synced' AND coalesce(chat_sync_next_at, created_at + interval '1 minute') <= now()
       ORDER BY coalesce(chat_sync_next_at, created_at) LIMIT $1`,
      [BATCH],
    )
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, rows.length) }, async () => {
        while (next < rows.length) {
          const user = rows[next++]!
          const error = await pushUser(config, deps.fetch, user)
          await recordSync(ctx.db, user.id, error)
          if (!error) synced++
        }
      }),
    )
    processed += rows.length
    full = rows.length === BATCH
    if (!full) break
  }
  return { processed, more: full && ctx.budget.spent(), synced }
}
