/**
 * Requests for the fault suite, each bounded in time so that a hang is counted, never waited for,
 * and a steady stream of writes whose every acknowledgement is remembered for the count afterwards.
 */
export interface Answer {
  status: number
  ms: number
  /** performance.now() when the answer (or the failure) came. */
  at: number
  retryAfter: string | null
  code?: string
  /** No answer within the bound. */
  hang: boolean
}

/** One request with a deadline; a network error is status 0, no answer within `boundMs` a hang. */
export async function timedRequest(url: string, init: RequestInit = {}, boundMs = 20_000): Promise<Answer> {
  const started = performance.now()
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(boundMs) })
    const text = await res.text()
    let code: string | undefined
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code
    } catch {
      code = undefined
    }
    const at = performance.now()
    return { status: res.status, ms: at - started, at, retryAfter: res.headers.get('retry-after'), code, hang: false }
  } catch (err) {
    const hang = (err as Error).name === "TimeoutError"
    const at = performance.now()
    return { status: 0, ms: at - started, at, retryAfter: null, hang }
  }
}

export const jsonPost = (body: unknown, headers: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

export interface StreamTally {
  /** Contact emails the app answered 201 to. */
  acked: string[]
  statuses: Map<number, number>
  /** 503 answers without a Retry-After header (an unavailable service must say when to come back). */
  unavailableWithoutRetryAfter: number
  hangs: number
  maxMs: number
  /** performance.now() of each 2xx answer's arrival, in order. */
  okAt: number[]
}

/**
 * `writers` loops, each creating contacts one after another until `stop()`; after an answer that is
 * not 2xx a writer waits `pauseMs` (a client backing off, and no busy loop against a down server).
 */
export function writeStream(baseUrl: string, auth: Record<string, string>, options: { writers: number; tag: string; pauseMs?: number; boundMs?: number; maxRequests?: number }) {
  const tally: StreamTally = { acked: [], statuses: new Map(), unavailableWithoutRetryAfter: 0, hangs: 0, maxMs: 0, okAt: [] }
  let running = true
  let sent = 0
  const limit = options.maxRequests ?? 100_000
  const writer = async (w: number) => {
    for (let n = 0; running && sent < limit; n++) {
      sent++
      const email = `${options.tag}-${w}-${n}@example.com`
      const answer = await timedRequest(`${baseUrl}/v1/contacts`, jsonPost({ email }, auth), options.boundMs)
      tally.statuses.set(answer.status, (tally.statuses.get(answer.status) ?? 0) + 1)
      tally.maxMs = Math.max(tally.maxMs, answer.ms)
      if (answer.hang) tally.hangs++
      if (answer.status === 503 && answer.retryAfter === null) tally.unavailableWithoutRetryAfter++
      if (answer.status === 201) {
        tally.acked.push(email)
        tally.okAt.push(performance.now())
      } else {
        await new Promise((r) => setTimeout(r, options.pauseMs ?? 25))
      }
    }
  }
  const done = Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)))
  return {
    tally,
    /** Stops the writers after their current request; resolves with the tally. */
    async stop(): Promise<StreamTally> {
      running = false
      await done
      return tally
    },
  }
}

/** The first 2xx at or after `since` (performance.now()), as ms after it. */
export function recoveryAfter(tally: StreamTally, since: number): number | undefined {
  const first = tally.okAt.find((t) => t >= since)
  return first === undefined ? undefined : first - since
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
