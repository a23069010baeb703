import type { Db } from '../../db/types.js'
import { AppError, notFound } from '../../errors.js'
import type { AuthUser } from '../env.js'
import * as repo from './repo.js'
import type { Campaign, CreateCampaignInput, UpdateCampaignInput } from './schema.js'
import { deletable, transitions, type CampaignAction } from './state.js'
import type { Outbox } from '../../queue/outbox.js'
import { emitEvents } from '../webhooks/events.js'

async function load(db: Db, userId: string, id: string): Promise<Campaign> {
  const campaign = await repo.findCampaign(db, userId, id)
  if (!campaign) throw notFound('campaign')
  return campaign
}

/** Targets are the user's own contacts; ids that are not (unknown, or someone else's) are a 400. */
async function setTargets(tx: Db, userId: string, campaignId: string, input: UpdateCampaignInput): Promise<void> {
  if (input.allContacts) {
    await repo.replaceTargets(tx, userId, campaignId, null)
  } else if (input.contactIds) {
    const ids = [...new Set(input.contactIds)]
    const matched = await repo.replaceTargets(tx, userId, campaignId, ids)
    if (matched !== ids.length) {
      throw new AppError(400, 'unknown_contacts', `${ids.length - matched} of the contactIds are not your contacts`, [
        { path: 'contactIds', message: 'unknown contact ids' },
      ])
    }
  }
}

export async function createCampaign(db: Db, userId: string, input: CreateCampaignInput): Promise<Campaign> {
  const id = await db.withTransaction(async (tx) => {
    const id = await repo.insertCampaign(tx, userId, input)
    await repo.replaceSteps(tx, id, input.followUps ?? [])
    await setTargets(tx, userId, id, input)
    return id
  })
  return load(db, userId, id)
}

export async function updateCampaign(db: Db, userId: string, id: string, input: UpdateCampaignInput): Promise<Campaign> {
  await db.withTransaction(async (tx) => {
    if (!(await repo.updateDraft(tx, userId, id, input))) throw await notEditable(tx, userId, id, 'edit')
    if (input.followUps) await repo.replaceSteps(tx, id, input.followUps)
    await setTargets(tx, userId, id, input)
  })
  return load(db, userId, id)
}

/** 404 if the campaign is not the user's, else 409 naming its status. */
async function notEditable(db: Db, userId: string, id: string, action: string): Promise<AppError> {
  const status = await repo.findStatus(db, userId, id)
  if (!status) return notFound('campaign')
  return new AppError(409, 'illegal_transition', `cannot ${action} a ${status} campaign`, [{ path: 'status', message: status }])
}

/**
 * start / pause / resume / cancel. Starting materialises the first step's emails in one
 * set-based statement, inside the same transaction as the status change.
 */
const statusEvents: Partial<Record<CampaignAction, 'campaign.started' | 'campaign.paused'>> = { start: 'campaign.started', pause: 'campaign.paused' }

export async function changeStatus(db: Db, user: AuthUser, id: string, action: CampaignAction, outbox?: Outbox): Promise<Campaign> {
  if (action === 'start' && !user.emailVerified) {
    throw new AppError(403, 'email_unverified', 'verify your email address before starting a campaign')
  }
  const { from, to } = transitions[action]
  await db.withTransaction(async (tx) => {
    const moved = await repo.transition(tx, user.id, id, from, to, action === 'pause' ? 'paused by user' : null)
    if (!moved) throw await notEditable(tx, user.id, id, action)
    if (action === 'start' && (await repo.materialiseFirstStep(tx, id)) === 0) {
      throw new AppError(409, 'no_contacts', 'the campaign targets no contacts')
    }
    if (action === 'cancel') await repo.cancelPendingEmails(tx, id)
    const event = statusEvents[action]
    if (event) await emitEvents(tx, outbox, [{ userId: user.id, type: event, data: { campaignId: id, reason: action === 'pause' ? 'paused by user' : null } }])
  })
  return load(db, user.id, id)
}

export async function getCampaign(db: Db, userId: string, id: string): Promise<Campaign> {
  return load(db, userId, id)
}

export async function deleteCampaign(db: Db, userId: string, id: string): Promise<void> {
  if (!(await repo.deleteCampaign(db, userId, id, deletable))) throw await notEditable(db, userId, id, 'delete')
}
