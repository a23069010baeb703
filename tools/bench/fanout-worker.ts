/**
 * One process of `npm run bench:fanout`: `environments` Lambda execution environments, each its own
 * `createLambdaHandler` with its own pool (as AWS runs them), and `clients` closed-loop clients that
 * send authenticated API Gateway requests. A client takes a free environment; with fewer environments
 * than clients (a reserved concurrency) a client that finds none gets API Gateway's 429 at once, as a
 * throttled invocation does. After a non-2xx answer a client waits 50 ms (it backs off; no busy loop).
 *
 * Protocol (IPC): → {ready}; ← {go, durationMs}; → {result}; ← {end}: pools ended, exit.
 */
import { createLambdaHandler, type LambdaHandler } from '../../functions/lambda.js'
import type { APIGatewayProxyResult } from 'hono/aws-lambda'
import { httpApiEventFor } from '../lib/api-gateway.js'

export interface FanoutWorkerConfig {
  environments: number
  clients: number
  env: Record<string, string>
  apiKey: string
  path: string
  /** A request still unanswered after this is counted as a hang (and given up on). */
  hangMs: number
}

export interface FanoutWorkerResult {
  statuses: Record<string, number>
  codes: Record<string, number>
  /** Latencies of 2xx answers (ms). */
  okMs: number[]
  /** Latencies of every answer, in send order, and whether each failed: for the plot. */
  allMs: number[]
  failed: boolean[]
  hangs: number
  /** 503s without a Retry-After header. */
  withoutRetryAfter: number
}

const config = JSON.parse(process.env.LOWTIDE_FANOUT ?? '{}') as FanoutWorkerConfig
const handlers: LambdaHandler[] = Array.from({ length: config.environments }, () => createLambdaHandler(config.env))
const free = [...handlers]
const result: FanoutWorkerResult = { statuses: {}, codes: {}, okMs: [], allMs: [], failed: [], hangs: 0, withoutRetryAfter: 0 }
const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 29_000 } as never

async function invoke(handler: LambdaHandler): Promise<{ status: number; code?: string; retryAfter?: string } | 'hang'> {
  const event = httpApiEventFor({ method: 'GET', rawPath: config.path, headers: { authorization: `Bearer ${config.apiKey}` } })
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), config.hangMs)))
  try {
    const answer = await Promise.race([handler(event, context) as Promise<APIGatewayProxyResult>, hang])
    if (answer === 'hang') return 'hang'
    const headers = (answer.headers ?? {}) as Record<string, string>
    let code: string | undefined
    if (answer.statusCode >= 400) code = (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code
    return { status: answer.statusCode, code, retryAfter: headers['retry-after'] ?? headers['Retry-After'] }
  } finally {
    clearTimeout(timer)
  }
}

async function client(until: number): Promise<void> {
  while (performance.now() < until) {
    const started = performance.now()
    const handler = free.pop()
    const answer = handler ? await invoke(handler).finally(() => free.push(handler)) : { status: 429, code: 'throttled' }
    const ms = performance.now() - started
    if (answer === 'hang') {
      result.hangs++
      result.allMs.push(ms)
      result.failed.push(true)
      continue
    }
    result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1
    if (answer.code) result.codes[answer.code] = (result.codes[answer.code] ?? 0) + 1
    if (answer.status === 503 && !('retryAfter' in answer && answer.retryAfter)) result.withoutRetryAfter++
    result.allMs.push(ms)
    const ok = answer.status >= 200 && answer.status < 300
    result.failed.push(!ok)
    if (ok) result.okMs.push(ms)
    else await new Promise((r) => setTimeout(r, 50))
  }
}

process.on('message', async (message: { go?: true; durationMs?: number; end?: true }) => {
  if (message.go) {
    const until = performance.now() + message.durationMs!
    await Promise.all(Array.from({ length: config.clients }, () => client(until)))
    process.send!({ result })
  }
  if (message.end) {
    await Promise.all(handlers.map((h) => h.connections.end()))
    process.exit(0)
  }
})
process.send!({ ready: true })
