/**
 * `GET /v1/campaigns/:id/events`: campaign progress as Server-Sent Events, holding no database
 * connection. The request's own scope ends when the stream starts (right after the 404 check); each
 * update then reads in a fresh scope that is given back at once. Between updates the stream holds
 * only a timer of its own, cleared when the client goes away or the stream ends. A keepalive comment
 * every `SSE_KEEPALIVE_MS`; after `SSE_MAX_DURATION_MS` the server ends the stream with `retry`, and
 * the client reconnects with `Last-Event-ID`.
 */
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { StreamConfig } from './config.js'
import { RequestScope } from '../../db/scope.js'
import type { ConnectionSource } from '../../db/types.js'
import type { AppEnv } from '../env.js'
import { findCampaign } from './repo.js'
import { getCampaign } from './service.js'

const LABEL = () => 'GET /v1/campaigns/:id/events'

/** Resolves after `ms`, or as soon as `signal` aborts; its timer never outlives it. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

async function readProgress(connections: ConnectionSource, userId: string, id: string) {
  const scope = new RequestScope(connections, LABEL)
  try {
    const campaign = await findCampaign(scope, userId, id)
    return campaign && { status: campaign.status, statusReason: campaign.statusReason, stats: campaign.stats, finishedAt: campaign.finishedAt }
  } finally {
    await scope.end()
  }
}

export function campaignEvents(deps: { connections: ConnectionSource; streams: StreamConfig }) {
  const { pollMs, keepaliveMs, maxDurationMs } = deps.streams
  return async (c: Context<AppEnv>) => {
    const userId = c.get('user').id
    const id = c.req.param('id')!
    await getCampaign(c.get('db'), userId, id) // 404 before the stream starts
    const resumeFrom = Number(c.req.header('last-event-id') ?? 0)
    return streamSSE(c, async (stream) => {
      const stop = new AbortController()
      stream.onAbort(() => stop.abort())
      const started = Date.now()
      let seq = Number.isInteger(resumeFrom) && resumeFrom > 0 ? resumeFrom : 0
      let last = ''
      let lastWrite = Date.now()
      while (!stop.signal.aborted && Date.now() - started < maxDurationMs) {
        const progress = await readProgress(deps.connections, userId, id)
        if (stop.signal.aborted) break
        if (!progress) {
          await stream.writeSSE({ event: 'gone', data: JSON.stringify({ campaignId: id }) })
          return
        }
        const json = JSON.stringify(progress)
        if (json !== last) {
          await stream.writeSSE({ id: String(++seq), event: 'progress', data: json })
          last = json
          lastWrite = Date.now()
        } else if (Date.now() - lastWrite >= keepaliveMs) {
          await stream.write(': keepalive\n\n')
          lastWrite = Date.now()
        }
        if (progress.status === 'completed' || progress.status === 'cancelled') {
          await stream.writeSSE({ event: 'end', data: json })
          return
        }
        await wait(Math.min(pollMs, keepaliveMs), stop.signal)
      }
      // Time is up: tell the client to come back (EventSource does, sending Last-Event-ID).
      if (!stop.signal.aborted) await stream.writeSSE({ event: 'reconnect', data: '{}', retry: 1000 })
    })
  }
}
