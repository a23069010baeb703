/** A Worker whose twelve schedules share one every-minute cron trigger (built by wrangler from tests/folding/wrangler.toml). */
import { createRuntime, createWorkerEntry, loadRuntimeConfig } from '../../src/runtime/index.js'
import { foldingSchedules } from './schedules.js'

export default createWorkerEntry({
  load: loadRuntimeConfig,
  build: (platform) => createRuntime({ ...platform, services: {}, schedules: foldingSchedules }).app,
  schedules: foldingSchedules,
})
