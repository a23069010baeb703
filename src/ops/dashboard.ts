/**
 * `GET /ops`: the ops dashboard, server-rendered, refreshed by a few lines of client script that
 * fetch the page's main section again every 5 s (the browser keeps the time, not the server).
 * Same auth as /readyz; a browser is asked for HTTP Basic credentials with the ops token as password.
 */
import type { Context } from 'hono'
import { z } from 'zod'
import { openApiApp, route } from '../http/openapi.js'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ScopeEnv } from '../http/types.js'
import type { Capacity } from './capacity.js'
import type { DashboardData } from './dashboard-data.js'
import { schedulesSection } from './schedules-panel.js'

type Rendered = HtmlEscapedString | Promise<HtmlEscapedString>

/** `2026-11-23T12:25:17.72+00:00` → `2026-11-23 12:25:17` (UTC). */
const when = (ts: string | null) => (ts ? new Date(ts).toISOString().slice(0, 19).replace('T', ' ') : null)
const unavailable = (error: string) => html`<p class="bad">unavailable: ${error}</p>`
const table = (head: string[], rows: (string | number | null)[][], id: string) =>
  rows.length
    ? html`<table data-testid="${id}"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c ?? '—'}</td>`)}</tr>`)}</tbody></table>`
    : html`<p data-testid="${id}" class="muted">none</p>`

function capacitySection(c: Capacity): Rendered {
  const usable = c.maxConnections - c.reservedConnections
  return html`<dl>
      <dt>held by ${c.applicationName}</dt><dd data-testid="capacity-held">${c.held}</dd>
      <dt>budget (DB_CONNECTION_BUDGET)</dt><dd data-testid="capacity-budget">${c.budget === null ? 'not declared' : `${c.budget} (${c.budgetPercent} % used)`}</dd>
      <dt>all client connections</dt><dd data-testid="capacity-server">${c.serverConnections} of ${usable} (max_connections ${c.maxConnections}, ${c.reservedConnections} reserved)</dd>
    </dl>`
}

export function renderMain(d: DashboardData): Rendered {
  const pool = d.pools[0]!
  return html`<main data-generated="${d.generatedAt}">
  <section><h2>Pool</h2>
    <dl>
      <dt>mode</dt><dd data-testid="pool-mode">${pool.mode}</dd>
      <dt>total</dt><dd data-testid="pool-total">${pool.total}</dd>
      <dt>idle</dt><dd data-testid="pool-idle">${pool.idle}</dd>
      <dt>waiting</dt><dd data-testid="pool-waiting">${pool.waiting}</dd>
      <dt>max</dt><dd data-testid="pool-max">${pool.max}</dd>
      <dt>utilization</dt><dd data-testid="pool-utilization">${pool.utilizationPercent} %</dd>
      <dt>acquires</dt><dd>${pool.acquires} (wait avg ${pool.acquireWaitMs.avg} ms, hold avg ${pool.holdMs.avg} ms)</dd>
      <dt>timeouts · leak warnings · dead ones replaced</dt><dd>${pool.timeouts} · ${pool.leakWarnings} · ${pool.staleReplaced}</dd>
    </dl>
  </section>
  <section><h2>This app's connections</h2>
    ${d.connections.ok
      ? html`<dl><dt>total</dt><dd data-testid="conn-total">${d.connections.value.total}</dd><dt>active</dt><dd>${d.connections.value.active}</dd><dt>idle</dt><dd>${d.connections.value.idle}</dd><dt>idle in transaction</dt><dd data-testid="conn-idle-tx">${d.connections.value.idleInTransaction}</dd></dl>`
      : unavailable(d.connections.error)}
  </section>
  <section><h2>Server capacity</h2>
    ${d.capacity.ok ? capacitySection(d.capacity.value) : unavailable(d.capacity.error)}
  </section>
  <section><h2>Outbox</h2>
    ${d.outbox.ok
      ? html`<dl><dt>transport</dt><dd data-testid="outbox-transport">${d.outbox.value.transport === 'none' ? 'none (the outbox-sweep task delivers)' : d.outbox.value.transport}</dd><dt>pending</dt><dd data-testid="outbox-pending">${d.outbox.value.pending}</dd><dt>processing</dt><dd>${d.outbox.value.processing}</dd><dt>dead</dt><dd data-testid="outbox-dead">${d.outbox.value.dead}</dd><dt>oldest pending</dt><dd>${d.outbox.value.oldestPendingS === null ? '—' : `${d.outbox.value.oldestPendingS} s`}</dd></dl>
        <h3>Dead letters</h3>${table(['kind', 'attempts', 'last error', 'created'], d.outbox.value.deadLetters.map((r) => [r.kind, r.attempts, r.lastError, when(r.createdAt)]), 'dead-letters')}`
      : unavailable(d.outbox.error)}
  </section>
  ${d.schedules.ok ? schedulesSection(d.schedules.value) : html`<section class="wide" data-testid="schedules"><h2>Schedules</h2>${unavailable(d.schedules.error)}</section>`}
  <section class="wide"><h2>Recent task runs</h2>
    ${d.taskRuns.ok
      ? table(['task', 'occurrence (UTC)', 'status', 'trigger', 'duration', 'processed', 'more', 'error'], d.taskRuns.value.map((r) => [r.task, when(r.scheduledAt), r.status, r.trigger, r.durationMs === null ? null : `${r.durationMs} ms`, r.processed, r.more ? 'yes' : 'no', r.error]), 'task-runs')
      : unavailable(d.taskRuns.error)}
  </section>
  <section><h2>Rate-limit rejections (current windows)</h2>
    ${d.rateLimitRejections.ok ? table(['limit', 'rejected'], d.rateLimitRejections.value.map((r) => [r.limit, r.rejected]), 'rate-limits') : unavailable(d.rateLimitRejections.error)}
  </section>
  ${d.panels.map(
    ({ panel, data }) => html`<section><h2>${panel.title}</h2>
    ${data.ok
      ? html`<p><span data-testid="${panel.id}-${panel.countLabel}">${data.value.count}</span> ${panel.countLabel}</p>${table(panel.columns, data.value.rows, `${panel.id}-rows`)}`
      : unavailable(data.error)}
  </section>`,
  )}
</main>`
}

const style = `body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2125}header{padding:12px 20px;background:#1d2125;color:#fff;display:flex;justify-content:space-between}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;padding:16px}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px}
section.wide{grid-column:1/-1}h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:12px 0 4px}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{color:#5c6670}dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;font-size:13px}td svg{vertical-align:middle}td code,td strong{white-space:nowrap}.legend svg{vertical-align:-2px;margin-left:6px}code{font-size:12px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eef0f2}.muted{color:#8a939b}.bad{color:#c92a2a}`

// Refresh in the browser by fetching the server-rendered section again: one renderer, no client
// templates. Each refresh schedules the next; leaving the page cancels it.
const script = `let t;const tick=async()=>{try{const r=await fetch('/ops?part=main',{cache:'no-store'});if(r.ok){document.querySelector('main').outerHTML=await r.text();document.getElementById('updated').textContent=new Date().toLocaleTimeString()}}catch{}t=setTimeout(tick,5000)};t=setTimeout(tick,5000);addEventListener('pagehide',()=>clearTimeout(t))`

export function renderPage(d: DashboardData): Rendered {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>lowtide ops</title><style>${raw(style)}</style></head>
<body><header><strong>lowtide ops</strong><span>updated <span id="updated">${new Date(d.generatedAt).toISOString().slice(11, 19)}</span> · <a style="color:#9cf" href="/ops/data.json">JSON</a></span></header>
${renderMain(d)}
<script>${raw(script)}</script></body></html>`
}

export function dashboardRoutes(load: (c: Context<ScopeEnv>) => Promise<DashboardData>) {
  const app = openApiApp<ScopeEnv>()
  app.openapi(
    route({
      method: 'get',
      path: '/',
      tag: 'ops',
      auth: 'ops',
      summary: 'The ops dashboard (HTML; a browser is asked for Basic credentials, the ops token as password)',
      responses: { 200: { mediaType: 'text/html', description: 'The dashboard' } },
    }),
    async (c) => {
      const data = await load(c)
      return c.html(c.req.query('part') === 'main' ? renderMain(data) : renderPage(data), 200, { 'Cache-Control': 'no-store' })
    },
  )
  app.openapi(
    route({ method: 'get', path: '/data.json', tag: 'ops', auth: 'ops', summary: 'The dashboard’s numbers as JSON', responses: { 200: z.object({ generatedAt: z.string() }).catchall(z.unknown()) } }),
    async (c) => {
      // The app's panels by id, with their data (their loaders are not data).
      const { panels, ...data } = await load(c)
      return c.json({ ...data, ...Object.fromEntries(panels.map(({ panel, data: value }) => [panel.id, value])) }, 200)
    },
  )
  return app
}
