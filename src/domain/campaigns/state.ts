/**
 * Campaign lifecycle. `completed` is reached by the dispatcher when nothing is pending; the rest
 * are user actions. Moves not listed here are answered with 409.
 *
 *   draft ──start──▶ running ──pause──▶ paused
 *     │               │  ▲                │
 *     │               │  └────resume──────┘
 *     └──cancel──▶ cancelled ◀──cancel────┘ (also from running)
 */
export const campaignStatuses = ['draft', 'running', 'paused', 'completed', 'cancelled'] as const
export type CampaignStatus = (typeof campaignStatuses)[number]

export type CampaignAction = 'start' | 'pause' | 'resume' | 'cancel'

export const transitions: Record<CampaignAction, { from: readonly CampaignStatus[]; to: CampaignStatus }> = {
  start: { from: ['draft'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['draft', 'running', 'paused'], to: 'cancelled' },
}

/** Only drafts can be edited; running or paused campaigns must be cancelled before deleting. */
export const editable: readonly CampaignStatus[] = ['draft']
export const deletable: readonly CampaignStatus[] = ['draft', 'completed', 'cancelled']
