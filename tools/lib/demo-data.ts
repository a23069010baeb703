/**
 * Demo data for `npm start`: once, a verified demo user with 100 credits, a few contacts and a
 * draft campaign with a follow-up, created through the same services the API uses. On every start
 * the previous demo key is revoked and a new one issued, since only a key's hash is stored.
 */
import { portableSha256 } from '../../src/crypto.js'
import type { Config } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import { RequestScope } from '../../src/db/scope.js'
import { findLogin } from '../../src/domain/accounts/repo.js'
import { issueKey, register } from '../../src/domain/accounts/service.js'
import { changeStatus, createCampaign } from '../../src/domain/campaigns/service.js'
import { importContacts } from '../../src/domain/contacts/service.js'
import { adjustCredits } from '../../src/domain/credits/service.js'
import { dbTransport } from '../../src/domain/emails/transport.js'
import type { Logger } from '../../src/logger.js'

export const DEMO_EMAIL = 'demo@lowtide.local'
export const DEMO_PASSWORD = 'lowtide demo password'
const DEMO_KEY_NAME = 'demo (npm start)'

export interface DemoAccount {
  email: string
  password: string
  apiKey: string
  /** False when the demo data already existed (only the key is new). */
  created: boolean
}

export async function seedDemoData(config: Config, url: string, logger: Logger): Promise<DemoAccount> {
  const connections = createConnectionSource({ ...config.db, mode: 'per-request' }, url, logger)
  const scope = new RequestScope(connections, () => 'demo data')
  try {
    let userId = (await findLogin(scope, DEMO_EMAIL))?.id
    const created = userId === undefined
    if (userId === undefined) {
      userId = await scope.withTransaction(async (tx) => {
        const user = await register(tx, { email: DEMO_EMAIL, password: DEMO_PASSWORD, name: 'Demo' }, { config, email: dbTransport, logger, fetch, sha256: portableSha256 })
        await tx.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id])
        await adjustCredits(tx, user.id, { kind: 'grant', amount: 100, reason: 'demo credits' })
        await importContacts(tx, user.id, [
          { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', company: 'Analytical Engines' },
          { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', company: 'COBOL Inc.' },
          { email: 'alan@example.com', firstName: 'Alan', company: 'Bletchley' },
          { email: 'katherine@example.com', firstName: 'Katherine', lastName: 'Johnson', fields: { plan: 'pro' } },
        ])
        await createCampaign(tx, user.id, {
          name: 'Welcome to the demo',
          fromEmail: 'demo@lowtide.local',
          fromName: 'lowtide demo',
          subject: 'Hello {{firstName|there}}',
          body: 'Hi {{firstName|there}},\n\nthis is a demo campaign for {{company|your team}}.\n',
          allContacts: true,
          followUps: [{ delayMinutes: 60 * 24, onlyIfNoReply: true, subject: 'Following up, {{firstName|there}}' }],
        })
        // A second one already running: the dev clock's campaign-dispatch sends it within a minute.
        const running = await createCampaign(tx, user.id, {
          name: 'Demo: sending by itself',
          fromEmail: 'demo@lowtide.local',
          subject: 'Hi {{firstName|there}}, this came from the dev clock',
          body: 'Sent by the campaign-dispatch task, triggered from outside the server.\n',
          allContacts: true,
          followUps: [{ delayMinutes: 2, onlyIfNoReply: true, subject: 'A follow-up, two minutes later' }],
        })
        await changeStatus(tx, { id: user.id, email: DEMO_EMAIL, role: 'user', emailVerified: true, apiKeyId: '' }, running.id, 'start')
        return user.id
      })
    }
    await scope.query(`UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND name = $2 AND revoked_at IS NULL`, [userId, DEMO_KEY_NAME])
    const { apiKey } = await issueKey(scope, userId, DEMO_KEY_NAME, portableSha256)
    return { email: DEMO_EMAIL, password: DEMO_PASSWORD, apiKey, created }
  } finally {
    await scope.end()
    await connections.end()
  }
}
