/**
 * Pool observability without a timer: every acquire records its wait, every release its hold time,
 * and each acquire looks over the connections currently out to spot leaks. Warnings are
 * rate-limited by counting (the 1st, then every 100th), never by a clock.
 *
 * Acquisition sites: a stack trace costs ~7 µs to capture (async frames included), more than the
 * rest of the per-request overhead together. So an acquisition with a label (the request scope
 * passes its route, e.g. `GET /v1/users/:id`) captures the stack only the first time that label is
 * seen; unlabelled acquisitions capture it every time.
 */
import type { Logger } from '../logger.js'

export interface Checkout {
  readonly acquiredAt: number
  /** What acquired it: a route such as `GET /v1/users/:id`, or a task name. */
  readonly label: string | undefined
  /** V8 formats the stack only if a leak warning reads it. */
  readonly site: Error
  leakReported: boolean
}

interface Occupancy {
  total: number
  idle: number
  waiting: number
  max: number
}

const WARN_EVERY = 100
const MAX_LABELS = 500

export class ConnectionMetrics {
  acquires = 0
  timeouts = 0
  leakWarnings = 0
  /** Pooled connections found dead at checkout (idle check) and replaced before a request got them. */
  staleReplaced = 0
  private waitTotal = 0
  private waitMax = 0
  private holdTotal = 0
  private holdMax = 0
  private releases = 0
  private pressureEvents = 0
  private readonly out = new Set<Checkout>()
  private readonly sites = new Map<string, Error>()

  constructor(
    private readonly name: string,
    private readonly leakWarnMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Called before waiting for a connection, with the pool's state at that moment. */
  beforeAcquire(state: Occupancy): number {
    const busy = state.total - state.idle
    const utilization = state.max > 0 ? busy / state.max : 0
    if (utilization > 0.8 || state.waiting > 0) {
      this.pressureEvents++
      if (this.pressureEvents % WARN_EVERY === 1) {
        this.logger.warn('connection pool under pressure', {
          pool: this.name,
          utilizationPercent: Math.round(utilization * 100),
          waiting: state.waiting,
          total: state.total,
          max: state.max,
          occurrences: this.pressureEvents,
        })
      }
    }
    const now = this.now()
    this.reportLeaks(now)
    return now
  }

  /** `beforeAcquire` for a source that opens a connection per request: `open` of them exist now, nothing waits. */
  beforeOpening(open: number): number {
    return this.beforeAcquire({ total: open, idle: 0, waiting: 0, max: Number.POSITIVE_INFINITY })
  }

  /** `site` comes from `siteFor`, called before waiting, while the caller's stack is still there. */
  acquired(startedAt: number, label: string | undefined, site: Error): Checkout {
    const at = this.now()
    const wait = at - startedAt
    this.acquires++
    this.waitTotal += wait
    if (wait > this.waitMax) this.waitMax = wait
    const checkout: Checkout = { acquiredAt: at, label, site, leakReported: false }
    this.out.add(checkout)
    return checkout
  }

  timedOut(): void {
    this.timeouts++
  }

  released(checkout: Checkout): void {
    if (!this.out.delete(checkout)) return
    const hold = this.now() - checkout.acquiredAt
    this.releases++
    this.holdTotal += hold
    if (hold > this.holdMax) this.holdMax = hold
    if (hold > this.leakWarnMs && !checkout.leakReported) this.reportLeak(checkout, hold, 'released late')
  }

  get checkedOut(): number {
    return this.out.size
  }

  summary() {
    return {
      acquires: this.acquires,
      acquireWaitMs: { avg: round(this.acquires ? this.waitTotal / this.acquires : 0), max: round(this.waitMax) },
      holdMs: { avg: round(this.releases ? this.holdTotal / this.releases : 0), max: round(this.holdMax) },
      timeouts: this.timeouts,
      leakWarnings: this.leakWarnings,
      staleReplaced: this.staleReplaced,
    }
  }

  /**
   * Connections still out past the threshold; each is reported once. A Set iterates in insertion
   * order, oldest checkout first, so the scan stops at the first one still within the threshold.
   */
  reportLeaks(now = this.now()): void {
    for (const checkout of this.out) {
      const held = now - checkout.acquiredAt
      if (held <= this.leakWarnMs) return
      if (!checkout.leakReported) this.reportLeak(checkout, held, 'still held')
    }
  }

  siteFor(label: string | undefined): Error {
    if (label === undefined) return new Error('connection acquired here')
    let site = this.sites.get(label)
    if (!site) {
      site = new Error(`connection acquired here (first acquisition by ${label})`)
      if (this.sites.size < MAX_LABELS) this.sites.set(label, site)
    }
    return site
  }

  private reportLeak(checkout: Checkout, heldMs: number, state: string): void {
    checkout.leakReported = true
    this.leakWarnings++
    this.logger.warn('possible connection leak', {
      pool: this.name,
      state,
      heldMs: Math.round(heldMs),
      thresholdMs: this.leakWarnMs,
      acquiredBy: checkout.label,
      acquiredAt: acquisitionSite(checkout.site),
    })
  }
}

/** The stack of the acquisition without the database layer's own frames. */
function acquisitionSite(site: Error): string {
  const lines = (site.stack ?? '').split('\n').slice(1)
  const outside = lines.filter((l) => !/[/\\]src[/\\]db[/\\]/.test(l))
  return (outside.length ? outside : lines).map((l) => l.trim()).join('\n')
}

const round = (n: number) => Math.round(n * 100) / 100
