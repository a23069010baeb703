/** The notes app as a Cloudflare Worker (built by wrangler from tests/second-app/wrangler.toml). */
import { createWorkerEntry, loadRuntimeConfig } from '../../src/runtime/index.js'
import { createNotesApp, notesSchedules } from './app.js'

export default createWorkerEntry({ load: loadRuntimeConfig, build: (platform) => createNotesApp(platform), schedules: notesSchedules })
