/** Real API Gateway HTTP API (payload format 2.0) events and a Lambda context, as AWS sends them. */
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda'

export function httpApiEvent(
  method: string,
  path: string,
  { body, headers = {}, query, sourceIp = '198.51.100.23' }: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string>; sourceIp?: string } = {},
): LambdaEvent {
  const now = Date.now()
  const rawBody = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    cookies: undefined,
    headers: {
      accept: '*/*',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65a1b2c3-0123456789abcdef01234567',
      'x-forwarded-for': sourceIp,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(rawBody !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(rawBody)) } : {}),
      ...headers,
    },
    queryStringParameters: query,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp, userAgent: 'curl/8.5.0' },
      requestId: `req-${now}-${Math.random().toString(36).slice(2, 8)}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: rawBody,
    isBase64Encoded: false,
  } as unknown as LambdaEvent
}

export function lambdaContext(): LambdaContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'lowtide-dev-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:lowtide-dev-api',
    memoryLimitInMB: '512',
    awsRequestId: `aws-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/lowtide-dev-api',
    logStreamName: '2026/11/23/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as LambdaContext
}
