/**
 * The runtime as a boundary (tools/check-imports.ts, dependency-cruiser): imports point one way,
 * the runtime never reaches into the domain, src/ holds no platform code, and nothing is circular.
 * The second half plants each kind of violation in a copy of src/ and expects the check to name it.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findImportViolations } from '../tools/check-imports.js'

const ROOT = path.resolve(import.meta.dirname, '..')

describe('import boundaries', () => {
  it('hold in this tree', async () => {
    expect(await findImportViolations()).toEqual([])
  }, 60_000)

  describe('would catch', () => {
    let copy: string
    beforeAll(() => {
      copy = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-imports-'))
      fs.cpSync(path.join(ROOT, 'src'), path.join(copy, 'src'), { recursive: true })
      fs.copyFileSync(path.join(ROOT, 'tsconfig.json'), path.join(copy, 'tsconfig.json'))
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'))
    })
    afterAll(() => fs.rmSync(copy, { recursive: true, force: true }))

    const plant = (file: string, line: string) => fs.appendFileSync(path.join(copy, file), `\n${line}\n`)

    it('a wrong-way import, an upward one, platform code in src/ and a cycle', async () => {
      plant('src/db/scope.ts', "import type { AuthUser } from '../domain/env.js'")
      plant('src/http/validate.ts', "import type { Outbox } from '../queue/outbox.js'")
      plant('src/queue/outbox.ts', "import { hostname } from 'node:os'")
      plant('src/url.ts', "import { joinUrl as again } from './url-loop.js'")
      fs.writeFileSync(path.join(copy, 'src/url-loop.ts'), "export { joinUrl } from './url.js'\n")
      const found = await findImportViolations(copy)
      const seen = found.map((v) => `${v.rule}: ${v.from} → ${v.to}`)
      expect(seen).toEqual(
        expect.arrayContaining([
          'runtime-imports-domain: src/db/scope.ts → src/domain/env.ts',
          'http-imports-upward: src/http/validate.ts → src/queue/outbox.ts',
          'src-imports-node: src/queue/outbox.ts → os',
          'no-cycle: src/url-loop.ts → src/url.ts',
        ]),
      )
    }, 60_000)
  })
})
