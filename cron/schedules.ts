/**
 * THE schedule registry: every recurring job of lowtide, its cron (five fields, in `timezone`, UTC by
 * default) and policies. Nothing in the runtime keeps time; these run when something outside calls
 * `POST /tasks/<name>`: Workers cron triggers and EventBridge Scheduler schedules (both generated from
 * this file by `npm run cron:sync`), QStash, any HTTP cron, `npm run task`, or the dev clock of `npm start`.
 */
import { chatAgentSyncRetry } from '../src/domain/accounts/chat-sync.js'
import { spentVerificationTokens } from '../src/domain/accounts/repo.js'
import { verificationReminders } from '../src/domain/accounts/verification-reminders.js'
import { dispatchCampaigns } from '../src/domain/campaigns/dispatch.js'
import { lowCreditNotices } from '../src/domain/credits/low-credit-notices.js'
import type { OutreachServices } from '../src/domain/deps.js'
import { ledgerCleanup } from '../src/tasks/ledger-cleanup.js'
import { outboxSweep } from '../src/tasks/outbox-sweep.js'
import type { ScheduleEntry } from '../src/tasks/types.js'

/**
 * What the platforms allow. Workers: 5 cron triggers per account on the Free plan, 250 on Paid;
 * above this `cron:sync` folds the triggers into one every-minute tick (`--max-triggers N` overrides).
 */
export const platformLimits = { workersCronTriggers: 5 }

export const schedules: readonly ScheduleEntry<OutreachServices>[] = [
  {
    name: 'campaign-dispatch',
    cron: '* * * * *',
    description: 'Send due campaign emails, schedule follow-ups, pause campaigns out of credits, complete finished ones',
    task: dispatchCampaigns,
    // Work is whatever is due when it runs: a missed minute is caught up by the next one, so an
    // invocation AWS could not deliver within 5 minutes is not worth delivering.
    catchUp: 'skip',
    aws: { maximumEventAgeInSeconds: 300 },
  },
  {
    name: 'low-credit-notices',
    cron: '0 8 * * *',
    description: 'Email users whose balance is below their threshold, once per day',
    task: lowCreditNotices,
    // A missed day still deserves its notice (at most one extra run).
    catchUp: 'once',
  },
  {
    name: 'email-verification-reminders',
    cron: '0 */6 * * *',
    description: 'Remind unverified users with a fresh token, at most 3 times, spaced',
    task: verificationReminders,
    catchUp: 'skip',
  },
  {
    name: 'chat-agent-sync-retry',
    cron: '*/5 * * * *',
    description: 'Retry user syncs to the chat agent server that failed, with backoff',
    task: chatAgentSyncRetry,
    catchUp: 'skip',
  },
  {
    name: 'outbox-sweep',
    cron: '* * * * *',
    description: 'Republish outbox rows the queue has not delivered in time (or deliver them, without a queue)',
    task: outboxSweep,
    catchUp: 'skip',
    aws: { maximumEventAgeInSeconds: 300 },
  },
  {
    name: 'ledger-cleanup',
    cron: '30 3 * * *',
    description: 'Prune old task runs, spent rate-limit windows and used verification tokens',
    task: ledgerCleanup([spentVerificationTokens]),
    catchUp: 'once',
  },
]
