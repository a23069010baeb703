import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'

let db: TestDatabase
let t: TestApp
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url)
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

/** Every route the app serves: [method, pattern], without middleware and the docs routes themselves. */
function servedRoutes(): [string, string][] {
  const routes = t.app.routes
    // 'ALL' entries and '/*' are middleware (scope, body limit), not endpoints.
    .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*') && !['/openapi.json', '/docs'].includes(r.path))
    .map((r) => `${r.method} ${r.path}`)
  return [...new Set(routes)].sort().map((r) => r.split(' ') as [string, string])
}

const documentedRoutes = (paths: Record<string, Record<string, unknown>>): [string, string][] =>
  Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), path] as [string, string]))

/** Does the served pattern (`/v1/webhooks/:id/:action`) route this documented path (`/v1/webhooks/{id}/test`)? */
const routes = (pattern: string, documented: string) =>
  new RegExp(`^${pattern.replace(/:\w+/g, '[^/]+')}$`).test(documented.replace(/\{\w+\}/g, 'x'))

describe('OpenAPI', () => {
  it('documents exactly the routes the app serves', async () => {
    const { status, body } = await call(t, '/openapi.json')
    expect(status).toBe(200)
    expect(body.openapi).toBe('3.1.0')
    const documented = documentedRoutes(body.paths)
    const served = servedRoutes()
    // Every served route is documented …
    const undocumented = served.filter(([m, p]) => !documented.some(([dm, dp]) => dm === m && routes(p, dp)))
    expect(undocumented).toEqual([])
    // … and every documented route is served (not the app's "no route" 404).
    for (const [method, path] of documented) {
      const res = await t.app.request(path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000'), { method })
      const text = await res.text()
      expect([method, path, text.includes('no route for')]).toEqual([method, path, false])
    }
  })

  it('describes bodies, parameters and errors from the zod schemas', async () => {
    const { body } = await call(t, '/openapi.json')
    const create = body.paths['/v1/campaigns'].post
    const schema = create.requestBody.content['application/json'].schema
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'fromEmail', 'subject', 'body']))
    expect(schema.properties.contactIds.maxItems).toBe(10_000)
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '413', '429']))
    expect(body.paths['/v1/contacts/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true })
    expect(body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  it('serves a docs page that loads the document', async () => {
    const res = await t.app.request('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(await res.text()).toContain('/openapi.json')
  })
})
