import { pageOf } from '../../http/docs-shapes.js'
import { describe, type Registry } from '../../http/openapi.js'
import { campaignActions } from './routes.js'
import { campaign, campaignIdParam, campaignListQuery, createCampaignBody, updateCampaignBody } from './schema.js'

const actionSummaries = {
  start: 'Start a draft: one scheduled email per targeted contact for step 1 (rate limited per user)',
  pause: 'Pause a running campaign; pending emails wait',
  resume: 'Resume a paused campaign',
  cancel: 'Cancel a campaign; pending emails are cancelled',
}

export function campaignDocs(r: Registry) {
  const tag = 'campaigns'
  describe(r, {
    method: 'post', path: '/v1/campaigns', tag, auth: 'user', summary: 'Create a draft campaign (rate limited per user)',
    body: createCampaignBody, responses: { 201: campaign },
  })
  describe(r, { method: 'get', path: '/v1/campaigns', tag, auth: 'user', summary: 'List campaigns, newest first', query: campaignListQuery, responses: { 200: pageOf(campaign) } })
  describe(r, {
    method: 'get', path: '/v1/campaigns/:id/events', tag, auth: 'user',
    summary: 'Campaign progress as Server-Sent Events (progress, end, gone, reconnect); holds no database connection between updates',
    params: campaignIdParam, responses: { 200: 'text/event-stream' },
  })
  describe(r, { method: 'get', path: '/v1/campaigns/:id', tag, auth: 'user', summary: 'A campaign with its steps and email stats', params: campaignIdParam, responses: { 200: campaign } })
  describe(r, {
    method: 'patch', path: '/v1/campaigns/:id', tag, auth: 'user', summary: 'Edit a draft',
    params: campaignIdParam, body: updateCampaignBody, responses: { 200: campaign }, errors: { 409: 'Not a draft' },
  })
  describe(r, {
    method: 'delete', path: '/v1/campaigns/:id', tag, auth: 'user', summary: 'Delete a draft, completed or cancelled campaign',
    params: campaignIdParam, responses: { 204: 'Deleted' }, errors: { 409: 'Running or paused: cancel it first' },
  })
  for (const action of campaignActions) {
    describe(r, {
      method: 'post', path: `/v1/campaigns/:id/${action}`, tag, auth: 'user', summary: actionSummaries[action],
      params: campaignIdParam, responses: { 200: campaign },
      errors: action === 'start' ? { 409: 'Illegal move from the current status', 403: 'Email address not verified' } : { 409: 'Illegal move from the current status' },
    })
  }
}
