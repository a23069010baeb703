import type { Config } from '../../config.js'
import { randomToken, type Sha256 } from '../../crypto.js'
import type { Db } from '../../db/types.js'
import { AppError, notFound } from '../../errors.js'
import type { Logger } from '../../logger.js'
import type { EmailTransport } from '../emails/transport.js'
import { generateApiKey } from './api-keys.js'
import { CHAT_SYNC_KIND } from './chat-sync.js'
import { Outbox } from '../../queue/outbox.js'
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js'
import * as repo from './repo.js'
import type { AccountUser, ApiKeyInfo, LoginInput, RegisterInput } from './schema.js'

/** A user holds at most this many unrevoked keys: each login makes one, and keys are meant to be revoked. */
export const MAX_ACTIVE_KEYS = 100

export interface AccountDeps {
  config: Pick<Config, 'passwordIterations' | 'emailVerificationTtlHours' | 'email' | 'chatAgent'>
  email: EmailTransport
  logger: Logger
  fetch: typeof fetch
  sha256: Sha256
}

export function verificationEmail(to: string, token: string, from: string) {
  return {
    kind: 'verification',
    to,
    from,
    subject: 'Verify your email address',
    body: `Welcome to lowtide.\n\nVerify your email address with this token:\n\n  ${token}\n\n(POST /v1/auth/verify-email {"token": "…"})\n`,
  }
}

export async function register(db: Db, input: RegisterInput, deps: AccountDeps, outbox?: Outbox): Promise<AccountUser> {
  const passwordHash = await hashPassword(input.password, deps.config.passwordIterations)
  const token = randomToken(32)
  const user = await repo.insertAccount(db, {
    email: input.email,
    name: input.name,
    passwordHash,
    tokenHash: deps.sha256(token),
    ttlHours: deps.config.emailVerificationTtlHours,
  })
  if (!user) throw new AppError(409, 'email_taken', 'a user with this email already exists', [{ path: 'email', message: 'already registered' }])
  // The account exists either way; a lost verification email is re-sent by the reminders task.
  try {
    await deps.email.send(db, { ...verificationEmail(user.email, token, deps.config.email.from), userId: user.id })
  } catch (err) {
    deps.logger.warn('verification email not sent', { userId: user.id, error: (err as Error).message })
  }
  // user.registered → a sync to the chat agent, through the outbox: retried on the queue's schedule.
  if (deps.config.chatAgent.url) await (outbox ?? new Outbox()).add(db, { kind: CHAT_SYNC_KIND, payload: { userId: user.id }, userId: user.id })
  return user
}

const invalidCredentials = () => new AppError(401, 'invalid_credentials', 'email or password is wrong')

export async function login(db: Db, input: LoginInput, deps: AccountDeps) {
  const found = await repo.findLogin(db, input.email)
  const ok = found?.passwordHash
    ? await verifyPassword(input.password, found.passwordHash)
    : await burnPasswordCheck(input.password, deps.config.passwordIterations)
  if (!found || !ok) throw invalidCredentials()
  const { passwordHash: _, ...user } = found
  const issued = await issueKey(db, user.id, input.keyName ?? 'login', deps.sha256)
  return { ...issued, user }
}

export async function issueKey(db: Db, userId: string, name: string, sha256: Sha256): Promise<{ apiKey: string; key: ApiKeyInfo }> {
  if ((await repo.countActiveKeys(db, userId)) >= MAX_ACTIVE_KEYS) {
    throw new AppError(409, 'too_many_keys', `at most ${MAX_ACTIVE_KEYS} active API keys; revoke some first`)
  }
  const generated = generateApiKey(sha256)
  const key = await repo.insertApiKey(db, userId, name, generated.prefix, generated.hash)
  return { apiKey: generated.key, key }
}

export async function verifyEmail(db: Db, token: string, sha256: Sha256): Promise<AccountUser> {
  const user = await repo.consumeVerification(db, sha256(token))
  if (!user) {
    throw new AppError(400, 'invalid_token', 'the verification token is unknown, used or expired', [{ path: 'token', message: 'invalid token' }])
  }
  return user
}

export async function revokeKey(db: Db, userId: string, keyId: string): Promise<ApiKeyInfo> {
  const key = await repo.revokeApiKey(db, userId, keyId)
  if (!key) throw notFound('API key')
  return key
}
