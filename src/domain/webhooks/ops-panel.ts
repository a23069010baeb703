/** The ops dashboard's section on webhook endpoints that were disabled after failing for days. */
import type { DashboardPanel } from '../../ops/dashboard-data.js'
import { recentlyDisabledEndpoints } from './repo.js'

export const disabledWebhooksPanel: DashboardPanel = {
  id: 'webhooks',
  title: 'Disabled webhook endpoints',
  countLabel: 'disabled',
  columns: ['url', 'reason', 'since (UTC)'],
  async load(db) {
    const { total, recent } = await recentlyDisabledEndpoints(db)
    return { count: total, rows: recent.map((r) => [r.url, r.reason, r.since]) }
  },
}
