/**
 * Twelve schedules — more distinct triggers than the Workers Free plan's five — with every catch-up
 * policy, day-of-week names, and three time zones (one of them changes to summer time on the day the
 * folding test simulates).
 */
import type { ScheduleEntry, TaskFactory } from '../../src/runtime/index.js'

const noop: TaskFactory = () => async () => ({ processed: 1, more: false })
const entry = (name: string, cron: string, more: Partial<ScheduleEntry> = {}): ScheduleEntry => ({ name, cron, description: `${cron}${more.timezone ? ` in ${more.timezone}` : ''}`, task: noop, ...more })

export const foldingSchedules: readonly ScheduleEntry[] = [
  entry('every-minute', '* * * * *'),
  entry('five-minutes-all', '*/5 * * * *', { catchUp: 'all' }),
  entry('quarter-once', '*/15 * * * *', { catchUp: 'once' }),
  entry('hourly', '0 * * * *'),
  entry('nightly', '30 3 * * *'),
  entry('weekend-hours', '0 9-17 * * 0,6', { catchUp: 'all', maxCatchUp: 1 }),
  entry('office-ten', '*/10 8-18 * * *', { catchUp: 'once' }),
  entry('late', '45 23 * * *'),
  entry('sundays', '20 12 * * 0'),
  entry('berlin-night', '30 2 * * *', { timezone: 'Europe/Berlin' }),
  entry('new-york-morning', '0 9 * * *', { timezone: 'America/New_York' }),
  entry('kolkata-morning', '15 9 * * *', { timezone: 'Asia/Kolkata', catchUp: 'all' }),
]
