/**
 * Request deadlines with one timer for all requests in flight instead of one per request (a timer
 * per request cost ~1.2 µs, about a fifth of lowtide's whole per-request overhead on Node).
 *
 * Every request gets the same timeout, so deadlines arrive in order: a linked list kept in arrival
 * order has the earliest deadline at its head, and one timer set for the head suffices. A request
 * that finishes unlinks itself; when the list empties the timer is cleared, so — as with a timer per
 * request — nothing is left once the last request has ended. If the head finishes first the timer
 * fires early, finds nothing due, and is set again for the new head: at most one spare wake-up per
 * timeout period.
 *
 * Only for runtimes where a timer may outlive the request that set it (Node, Lambda). On Workers a
 * timer belongs to its request's context, so the Worker entry uses a timer per request.
 */

export interface Deadline {
  cancel(): void
}

export interface Deadlines {
  /** Calls `onExpire` once `ms` (fixed per instance) have passed, unless cancelled first. */
  start(onExpire: () => void): Deadline
}

/** One timer per request: valid everywhere. */
export function perRequestDeadlines(ms: number): Deadlines {
  return {
    start(onExpire) {
      const timer = setTimeout(onExpire, ms)
      return { cancel: () => clearTimeout(timer) }
    },
  }
}

class Entry implements Deadline {
  prev: Entry | undefined
  next: Entry | undefined
  linked = true
  constructor(
    readonly owner: SharedDeadlines,
    readonly due: number,
    readonly onExpire: () => void,
  ) {}

  cancel(): void {
    if (this.linked) this.owner.unlink(this)
  }
}

export class SharedDeadlines implements Deadlines {
  private head: Entry | undefined
  private tail: Entry | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly ms: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the shared timer is set (true only while requests are in flight). */
  get armed(): boolean {
    return this.timer !== undefined
  }

  start(onExpire: () => void): Deadline {
    const entry = new Entry(this, this.now() + this.ms, onExpire)
    if (this.tail) {
      entry.prev = this.tail
      this.tail.next = entry
      this.tail = entry
    } else {
      this.head = this.tail = entry
      this.arm(this.ms)
    }
    return entry
  }

  unlink(entry: Entry): void {
    entry.linked = false
    if (entry.prev) entry.prev.next = entry.next
    else this.head = entry.next
    if (entry.next) entry.next.prev = entry.prev
    else this.tail = entry.prev
    entry.prev = entry.next = undefined
    if (!this.head && this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  private arm(inMs: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, inMs))
  }

  private fire(): void {
    this.timer = undefined
    const now = this.now()
    while (this.head && this.head.due <= now) {
      const due = this.head
      this.unlink(due)
      due.onExpire()
    }
    if (this.head && this.timer === undefined) this.arm(this.head.due - now)
  }
}
