import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { EmailSendError, httpTransport } from '../../src/domain/emails/transport.js'

const received: { headers: http.IncomingHttpHeaders; body: any }[] = []
let answer: { status: number; body: string } | 'hang' = { status: 202, body: '{"id":"provider-123"}' }
let server: http.Server
let url: string
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) })
      if (answer === 'hang') return
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

const message = { kind: 'campaign', to: 'ada@example.com', from: 'me@example.com', subject: 'Hi', body: 'Hello Ada' }
const noDb = { query: () => Promise.reject(new Error('the http transport must not touch the database')) }

describe('EMAIL_TRANSPORT=http', () => {
  it('POSTs the message as JSON with the bearer key and an idempotency key, and returns the provider id', async () => {
    const transport = httpTransport({ httpUrl: url, httpKey: 'secret-key', httpTimeoutMs: 2000 })
    const { messageId } = await transport.send(noDb, message)
    expect(messageId).toBe('provider-123')
    const last = received.at(-1)!
    expect(last.headers.authorization).toBe('Bearer secret-key')
    expect(last.headers['idempotency-key']).toMatch(/^lt-/)
    expect(last.body).toMatchObject({ ...message, messageId: last.headers['idempotency-key'] })
  })

  it.each([
    [400, true],
    [429, false],
    [503, false],
  ])('maps a %i answer to a failure (permanent: %s)', async (status, permanent) => {
    answer = { status, body: '{"error":"nope"}' }
    const transport = httpTransport({ httpUrl: url, httpKey: undefined, httpTimeoutMs: 2000 })
    const failure = await transport.send(noDb, message).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(EmailSendError)
    expect(failure).toMatchObject({ permanent, message: expect.stringContaining(String(status)) })
  })

  it('gives up after its timeout, as a retryable failure, and leaves no timer behind', async () => {
    answer = 'hang'
    const transport = httpTransport({ httpUrl: url, httpKey: undefined, httpTimeoutMs: 200 })
    const started = performance.now()
    const failure = await transport.send(noDb, message).catch((e: unknown) => e)
    expect(failure).toMatchObject({ permanent: false, message: expect.stringContaining('timed out after 200 ms') })
    expect(performance.now() - started).toBeLessThan(1500)
    answer = { status: 202, body: '{}' }
  })

  it('is refused at start-up without EMAIL_HTTP_URL', () => {
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'http' }, 'node')).toThrow(/EMAIL_HTTP_URL/)
    expect(() => loadConfig({ EMAIL_TRANSPORT: 'smtp' }, 'node')).toThrow(/EMAIL_TRANSPORT/)
  })
})
