/**
 * `campaign-dispatch`: sends due scheduled emails through the transport, in batches, each batch
 * one transaction. Per batch: claim (SKIP LOCKED) → skip unsubscribed contacts and, for follow-ups
 * that say so, contacts who replied → take one credit per email (a user out of credits has the
 * campaign paused with a reason, and nothing is sent without a credit) → send, at most
 * `concurrencyPerUser` at a time and `ratePerUser` a second per user (across the run's batches, and
 * no more than fit before the budget ends: the rest is `more`) → record every outcome, refund
 * what was not sent, schedule the next step → commit. A run that dies mid-batch rolls the whole
 * batch back: with the `db` transport every email is recorded exactly once; with `http` the
 * provider sees the same idempotency key again (`lt-email-<id>`).
 */
import type { DispatchConfig } from './config.js'
import type { Db } from '../../db/types.js'
import { pause, runBatches } from '../../tasks/budget.js'
import type { TaskBudget, TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'
import { EmailSendError, type EmailTransport } from '../emails/transport.js'
import * as repo from './dispatch-repo.js'
import type { DueEmail, EmailOutcome } from './dispatch-repo.js'
import { renderTemplate } from './template.js'
import type { Outbox } from '../../queue/outbox.js'
import { emitEvents } from '../webhooks/events.js'

export const dispatchCampaigns: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const config = deps.config.dispatch
  let sent = 0
  const paused = new Set<string>()
  const pacer: Pacer = new Map()
  let pacedOut = false
  const { processed, more, batches } = await runBatches(ctx.budget, async () => {
    const batch = await ctx.db.withTransaction((tx) => dispatchBatch(tx, config, deps.email, ctx.budget, ctx.outbox, pacer))
    sent += batch.sent
    for (const id of batch.paused) paused.add(id)
    pacedOut = batch.leftForLater > 0
    // More may be waiting when the claim was full or the budget left some of it for the next run;
    // a batch that handled nothing would only claim the same rows again.
    return { processed: batch.handled, full: (batch.claimed === config.batchSize || pacedOut) && batch.handled > 0 }
  })
  const completed = await ctx.db.withTransaction(async (tx) => {
    const done = await repo.completeFinishedCampaigns(tx)
    await emitEvents(tx, ctx.outbox, done.map((c) => ({ userId: c.userId, type: 'campaign.completed' as const, data: { campaignId: c.id } })))
    return done.map((c) => c.id)
  })
  return { processed, more: more || pacedOut, sent, batches, paused: [...paused], completed }
}

/** Per user, when the run may start its next send: the rate holds across batches, not only within one. */
type Pacer = Map<string, number>

interface BatchResult {
  claimed: number
  handled: number
  /** Claimed and sendable, but more than the budget could pace through at the user's rate: left pending for the next run. */
  leftForLater: number
  sent: number
  paused: string[]
}

async function dispatchBatch(tx: Db, config: DispatchConfig, transport: EmailTransport, budget: TaskBudget, outbox: Outbox, pacer: Pacer): Promise<BatchResult> {
  const due = await repo.claimDueEmails(tx, config.batchSize)
  const outcomes: EmailOutcome[] = []
  const sendable: DueEmail[] = []
  for (const email of due) {
    const reason = email.unsubscribed ? 'unsubscribed' : email.step > 1 && email.onlyIfNoReply && email.replied ? 'replied' : null
    if (reason) outcomes.push({ id: email.id, status: 'skipped', reason, attempted: false })
    else sendable.push(email)
  }

  const outOfCredits = new Set<string>()
  const toSend: { userId: string; emails: DueEmail[]; startAt: number }[] = []
  let leftForLater = 0
  const interval = 1000 / config.ratePerUser
  for (const [userId, emails] of groupBy(sendable, (e) => e.userId)) {
    // No more than fit, at this user's rate, between their next free slot and the end of the budget.
    const startAt = Math.max(Date.now(), pacer.get(userId) ?? 0)
    const affordable = startAt < budget.deadline ? Math.ceil((budget.deadline - startAt) / interval) : 0
    const wanted = emails.slice(0, affordable)
    leftForLater += emails.length - wanted.length
    if (wanted.length === 0) continue
    const granted = await repo.consumeCreditsFor(tx, userId, wanted.map((e) => e.id))
    pacer.set(userId, startAt + granted * interval)
    toSend.push({ userId, emails: wanted.slice(0, granted), startAt })
    // Left pending: those without a credit pause their campaign; the rest wait for the next run.
    for (const e of wanted.slice(granted)) outOfCredits.add(e.campaignId)
  }

  const results = await Promise.all(toSend.map(({ emails, startAt }) => sendPaced(tx, emails, startAt, interval, transport, config, budget)))
  const refunds = new Map<string, string[]>()
  for (const [i, userResults] of results.entries()) {
    const { userId } = toSend[i]!
    for (const r of userResults) {
      outcomes.push(r.outcome)
      if (r.outcome.status !== 'sent') refunds.set(userId, [...(refunds.get(userId) ?? []), r.outcome.id])
    }
  }
  for (const [userId, ids] of refunds) await repo.refundCredits(tx, userId, ids)
  await repo.recordOutcomes(tx, outcomes)
  const sentIds = outcomes.filter((o) => o.status === 'sent').map((o) => o.id)
  await repo.scheduleFollowUps(tx, sentIds)
  const paused = await repo.pauseForCredits(tx, [...outOfCredits])
  // Webhook events of the batch, one statement: in this transaction, so they exist only if it commits.
  const byId = new Map(due.map((e) => [e.id, e]))
  await emitEvents(tx, outbox, [
    ...outcomes
      .filter((o) => o.status === 'sent' || o.status === 'failed')
      .map((o) => {
        const e = byId.get(o.id)!
        return { userId: e.userId, type: o.status === 'sent' ? ('email.sent' as const) : ('email.failed' as const), data: { campaignId: e.campaignId, contactId: e.contactId, step: e.step, to: e.email, error: o.reason } }
      }),
    ...paused.map((p) => ({ userId: p.userId, type: 'campaign.paused' as const, data: { campaignId: p.id, reason: 'insufficient_credits' } })),
  ])
  return { claimed: due.length, handled: outcomes.length, leftForLater, sent: sentIds.length, paused: paused.map((p) => p.id) }
}

/** One user's emails: `concurrencyPerUser` in flight at most, starts spaced `interval` ms apart from `startAt`. */
async function sendPaced(tx: Db, emails: DueEmail[], startAt: number, interval: number, transport: EmailTransport, config: DispatchConfig, budget: TaskBudget) {
  const results: { outcome: EmailOutcome }[] = []
  let next = 0
  const worker = async () => {
    while (next < emails.length) {
      const index = next++
      const slot = startAt + index * interval - Date.now()
      if (slot > 0) await pause(slot, budget)
      results.push({ outcome: await sendOne(tx, emails[index]!, transport, config) })
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.concurrencyPerUser, emails.length) }, worker))
  return results
}

async function sendOne(tx: Db, email: DueEmail, transport: EmailTransport, config: DispatchConfig): Promise<EmailOutcome> {
  const data = { email: email.email, firstName: email.firstName, lastName: email.lastName, company: email.company, fields: email.fields }
  try {
    await transport.send(tx, {
      kind: 'campaign',
      to: email.email,
      from: email.fromName ? `${email.fromName} <${email.fromEmail}>` : email.fromEmail,
      subject: renderTemplate(email.subject, data),
      body: renderTemplate(email.body, data),
      userId: email.userId,
      scheduledEmailId: email.id,
    })
    return { id: email.id, status: 'sent', reason: null, attempted: true }
  } catch (err) {
    const permanent = err instanceof EmailSendError && err.permanent
    const lastAttempt = email.attempts + 1 >= config.maxAttempts
    if (!(err instanceof EmailSendError)) throw err // a database error: the batch rolls back
    return {
      id: email.id,
      status: permanent || lastAttempt ? 'failed' : 'pending',
      reason: (err as Error).message.slice(0, 500),
      attempted: true,
    }
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}
