/**
 * Users are mirrored to the chat agent server (`CHAT_AGENT_SERVER_URL`): once at registration with
 * a short timeout, and by `chat-agent-sync-retry` (every 5 min) for those that failed, with growing
 * delays (1 min, 2, 4, … capped at 6 h). Without a URL the sync is off.
 */
import type { ChatAgentConfig } from './config.js'
import type { OutboxHandler } from '../../queue/deliver.js'
import { runBatches } from '../../tasks/budget.js'
import type { TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'
import { dueChatSyncs, findChatSyncUser, recordChatSync, type ChatSyncUser } from './repo.js'

export async function pushUser(config: ChatAgentConfig, fetchImpl: typeof fetch, user: ChatSyncUser): Promise<string | undefined> {
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

export const CHAT_SYNC_KIND = 'chat-sync'

/**
 * The outbox kind `chat-sync` (written at registration): one attempt, recorded on the user; a
 * failure is retried by the queue, and `chat-agent-sync-retry` catches whatever still slips through.
 */
export function chatSyncHandler(config: ChatAgentConfig, fetchImpl: typeof fetch): OutboxHandler {
  return async (row, db) => {
    const user = await findChatSyncUser(db, String(row.payload.userId))
    if (!user || user.status === 'synced' || !config.url) return
    const error = await pushUser(config, fetchImpl, user)
    await recordChatSync(db, user.id, error)
    if (error) throw new Error(error)
  }
}

const BATCH = 50
const CONCURRENCY = 5

export const chatAgentSyncRetry: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const config = deps.config.chatAgent
  if (!config.url) return { processed: 0, more: false, disabled: true }
  let synced = 0
  const { processed, more } = await runBatches(ctx.budget, async () => {
    const users = await dueChatSyncs(ctx.db, BATCH)
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, users.length) }, async () => {
        while (next < users.length) {
          const user = users[next++]!
          const error = await pushUser(config, deps.fetch, user)
          await recordChatSync(ctx.db, user.id, error)
          if (!error) synced++
        }
      }),
    )
    return { processed: users.length, full: users.length === BATCH }
  })
  return { processed, more, synced }
}
