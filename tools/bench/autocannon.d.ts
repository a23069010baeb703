// autocannon ships no types; this covers what bench:http uses.
declare module 'autocannon' {
  interface Result {
    requests: { average: number; total: number }
    latency: { p50: number; p99: number; average: number }
    errors: number
    timeouts: number
    non2xx: number
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    sampleInt?: number
    method?: string
    headers?: Record<string, string>
    body?: string
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
