/**
 * API Gateway HTTP API (payload format 2.0) in front of a Lambda environment, on loopback: each HTTP
 * request becomes the event AWS sends (lower-cased headers, cookies apart, binary bodies in base64,
 * `requestContext.http`), and the function's answer becomes the response as AWS maps it — a result
 * with `statusCode` as given, any other value as a 200 JSON body, a function error as 500 and a
 * timeout as 503, both `{"message":…}`. For tests and benches.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Invocation } from './lambda-runtime.js'

export const HTTP_API_REGION = 'eu-west-1'
export const HTTP_API_ACCOUNT = '123456789012'
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** API Gateway's `requestContext.time`: `17/Jun/2024:15:52:39 +0000`. */
export function apiGatewayTime(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

export interface HttpApiRequest {
  method: string
  /** The path as the client sent it (a named stage's prefix included). */
  rawPath: string
  rawQueryString?: string
  /** Lower-case names; repeated headers joined with commas, as API Gateway does. */
  headers?: Record<string, string>
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
  sourceIp?: string
  /** @default '$default' */
  stage?: string
}

/** The HTTP API v2 event for a request. */
export function httpApiEventFor(request: HttpApiRequest) {
  const now = Date.now()
  const { method, rawPath, rawQueryString = '', cookies, body, sourceIp = '198.51.100.23', stage = '$default' } = request
  const query = new URLSearchParams(rawQueryString)
  const queryStringParameters: Record<string, string> = {}
  for (const key of new Set(query.keys())) queryStringParameters[key] = query.getAll(key).join(',')
  const domainName = 'abc123.execute-api.eu-west-1.amazonaws.com'
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers: {
      host: domainName,
      'x-amzn-trace-id': 'Root=1-65a1b2c3-0123456789abcdef01234567',
      'x-forwarded-for': sourceIp,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...request.headers,
    },
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: HTTP_API_ACCOUNT,
      apiId: 'abc123',
      domainName,
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp, userAgent: request.headers?.['user-agent'] ?? '' },
      requestId: `JKJaXmPLvHcESHA=${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      routeKey: '$default',
      stage,
      time: apiGatewayTime(now),
      timeEpoch: now,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: request.isBase64Encoded ?? false,
  }
}

interface HttpApiResult {
  statusCode?: number
  headers?: Record<string, string | number | boolean>
  multiValueHeaders?: Record<string, string[]>
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
}

const TEXT_BODY = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|[^;]*\+json)/i

export interface ApiGateway {
  url: string
  /** Requests answered so far. */
  readonly requests: number
  close(): Promise<void>
}

export async function startApiGateway(invoke: (event: unknown) => Promise<Invocation>): Promise<ApiGateway> {
  let requests = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const raw = Buffer.concat(chunks)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(req.headers)) {
        if (name !== 'cookie' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value
      }
      const text = TEXT_BODY.test(headers['content-type'] ?? 'text/plain')
      const url = new URL(req.url ?? '/', 'http://gateway')
      const event = httpApiEventFor({
        method: req.method ?? 'GET',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        cookies: req.headers.cookie?.split(/;\s*/),
        ...(raw.length ? { body: text ? raw.toString('utf8') : raw.toString('base64'), isBase64Encoded: !text } : {}),
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
      })
      const answer = await invoke(event)
      requests++
      if (!answer.ok) {
        const timedOut = answer.errorType === 'Sandbox.Timedout'
        res.writeHead(timedOut ? 503 : 500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: timedOut ? 'Service Unavailable' : 'Internal Server Error' }))
        return
      }
      const result = answer.result as HttpApiResult | null
      if (!result || typeof result !== 'object' || typeof result.statusCode !== 'number') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.result))
        return
      }
      const out: Record<string, string | string[]> = {}
      for (const [name, value] of Object.entries(result.headers ?? {})) out[name] = String(value)
      for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) out[name] = values
      if (result.cookies?.length) out['set-cookie'] = result.cookies
      res.writeHead(result.statusCode, out).end(result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
