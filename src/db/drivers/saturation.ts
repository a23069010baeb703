/**
 * A connect the server or a pooler refused as full (53300, PgBouncer's limits) may be tried again
 * within the connect timeout (`DB_CONNECT_RETRY`): short, growing, jittered waits, so the clients one
 * saturation turned away do not all come back in the same millisecond.
 */

/**
 * How long to wait before connecting again after the `refusals`-th refusal, or undefined once that
 * would pass the connect timeout: 25 ms, 50, 100… (up to 400), each jittered down to half.
 */
export function saturationRetryMs(refusals: number, startedAt: number, connectTimeoutMs: number, now = performance.now(), random = Math.random): number | undefined {
  const wait = Math.round(Math.min(400, 25 * 2 ** (refusals - 1)) * (0.5 + random() / 2))
  return now + wait < startedAt + connectTimeoutMs ? wait : undefined
}

/** A wait of `ms` that leaves no timer behind. */
export function pause(ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))).finally(() => clearTimeout(timer))
}
