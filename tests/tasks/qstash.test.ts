/**
 * Upstash QStash as a trigger, with no proxy in front: a delivery signed the way QStash signs it
 * (an HS256 `Upstash-Signature` JWT: iss Upstash, sub the URL called, body the base64url SHA-256 of
 * the body, exp/nbf), under the current or the next signing key, is a run; anything else is 401; a
 * QStash retry of a delivery (same Upstash-Message-Id) is the same occurrence — a duplicate once it
 * succeeded, not a second run.
 */
import { createHash } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import type { TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { taskApp } from '../helpers/tasks.js'

const CURRENT = 'sig_current_0123456789abcdefghijklmnop'
const NEXT = 'sig_next_0123456789abcdefghijklmnopqrst'

let db: TestDatabase
let t: TestApp
let runs = 0
const entries: ScheduleEntry[] = [
  {
    name: 'report',
    cron: '* * * * *',
    description: 'counts its runs',
    task: () => async () => {
      runs++
      return { processed: 1, more: false }
    },
  },
  { name: 'other', cron: '* * * * *', description: 'another task', task: () => async () => ({ processed: 0, more: false }) },
]

beforeAll(async () => {
  db = await freshDatabase()
  t = taskApp(db.url, { QSTASH_CURRENT_SIGNING_KEY: CURRENT, QSTASH_NEXT_SIGNING_KEY: NEXT }, entries)
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

/** An Upstash-Signature as QStash makes it. */
async function qstashSignature(key: string, url: string, body: string, options: { expiresInS?: number; notBeforeS?: number; issuer?: string } = {}) {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ body: createHash('sha256').update(body).digest('base64url') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? 'Upstash')
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(now + (options.notBeforeS ?? 0))
    .setExpirationTime(now + (options.expiresInS ?? 300))
    .setJti(`jwt_${crypto.randomUUID()}`)
    .sign(new TextEncoder().encode(key))
}

const deliver = (path: string, body: string, signature: string, messageId = `msg_${crypto.randomUUID()}`) =>
  t.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'upstash-signature': signature, 'upstash-message-id': messageId, 'upstash-retried': '0' },
    body,
  })

describe('QStash deliveries', () => {
  it('runs a task signed with the current key, or the next one (rotation), recorded as trigger qstash', async () => {
    const first = await deliver('/tasks/report', '', await qstashSignature(CURRENT, 'https://app.example.com/tasks/report', ''))
    expect(first.status).toBe(200)
    // Behind a stage or a proxy prefix: the URL QStash called ends with the app's path.
    const rotated = await deliver('/tasks/report', '{}', await qstashSignature(NEXT, 'https://api.example.com/prod/tasks/report', '{}'))
    expect(rotated.status).toBe(200)
    const { rows } = await db.observer.query(`SELECT trigger FROM task_runs WHERE task = 'report'`)
    expect(rows.map((r) => r.trigger)).toEqual(['qstash'])
  })

  it.each([
    ['a key it does not know', async () => qstashSignature('sig_someone_else_0123456789abcdefghij', 'https://app.example.com/tasks/report', '{}'), /signature verification failed/],
    ['a signature for another task (wrong sub)', async () => qstashSignature(CURRENT, 'https://app.example.com/tasks/other', '{}'), /is for https:\/\/app\.example\.com\/tasks\/other, not \/tasks\/report/],
    ['an altered body', async () => qstashSignature(CURRENT, 'https://app.example.com/tasks/report', '{"scheduledAt":"2026-01-01T00:00:00Z"}'), /does not match the body/],
    ['an expired token', async () => qstashSignature(CURRENT, 'https://app.example.com/tasks/report', '{}', { expiresInS: -60 }), /"exp" claim/],
    ['a token not valid yet', async () => qstashSignature(CURRENT, 'https://app.example.com/tasks/report', '{}', { notBeforeS: 120 }), /"nbf" claim/],
    ['another issuer', async () => qstashSignature(CURRENT, 'https://app.example.com/tasks/report', '{}', { issuer: 'Someone' }), /"iss" claim/],
    ['garbage', async () => 'not.a.jwt', /Invalid|JWS/],
  ])('answers 401 to %s', async (_label, sign, message) => {
    const res = await deliver('/tasks/report', '{}', await sign())
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('invalid_signature')
    expect(body.error.message).toMatch(message)
  })

  it('treats a retry of a delivery (same message id, later) as its occurrence: a duplicate, not a second run', async () => {
    await db.observer.query(`DELETE FROM task_runs WHERE task = 'report'`)
    const before = runs
    const messageId = `msg_${crypto.randomUUID()}`
    const sign = () => qstashSignature(CURRENT, 'https://app.example.com/tasks/report', '')
    const first = (await (await deliver('/tasks/report', '', await sign(), messageId)).json()) as { status: string; scheduledAt: string }
    expect(first.status).toBe('succeeded')
    // The retry arrives minutes later, in another occurrence of the every-minute cron: same message id.
    await db.observer.query(`UPDATE task_runs SET scheduled_at = scheduled_at - interval '7 minutes' WHERE task = 'report'`)
    const retry = (await (await deliver('/tasks/report', '', await sign(), messageId)).json()) as { status: string; scheduledAt: string }
    expect(retry.status).toBe('duplicate')
    expect(new Date(retry.scheduledAt).getTime()).toBe(new Date(first.scheduledAt).getTime() - 7 * 60_000)
    expect(runs - before).toBe(1)
  })

  it('is refused when no QStash key is configured', async () => {
    const plain = taskApp(db.url, {}, entries)
    const res = await plain.app.request('/tasks/report', { method: 'POST', headers: { 'upstash-signature': await qstashSignature(CURRENT, 'https://app.example.com/tasks/report', '') }, body: '' })
    expect([res.status, ((await res.json()) as { error: { message: string } }).error.message]).toEqual([401, 'Upstash-Signature no QStash signing key configured (QSTASH_CURRENT_SIGNING_KEY)'])
    await plain.close()
  })
})
