// Loaded with `node --import` by tools/lib/lambda-runtime.ts: appends the URL of every module the
// process loads to $LOWTIDE_RECORD_MODULES, so a test can tell which chunks of an artifact ran.
// module.registerHooks runs in the loading thread (Node 22.15+ and 24); where it is missing, nothing is recorded.
import { appendFileSync } from 'node:fs'
import * as nodeModule from 'node:module'

const file = process.env.LOWTIDE_RECORD_MODULES
if (file && typeof nodeModule.registerHooks === 'function') {
  nodeModule.registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:')) appendFileSync(file, `${url}\n`)
      return nextLoad(url, context)
    },
  })
}
