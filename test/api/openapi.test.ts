import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestWarden, type TestWarden } from '../fakes/warden.js'

/** Every `METHOD /path` the README's HTTP API table names, alternatives (`a\|b`) and optional parts (`[/X]`) spelled out. */
function readmeRoutes(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const table = readme.slice(readme.indexOf('## HTTP API'), readme.indexOf('Errors are'))
  const routes: string[] = []
  for (const cell of table.matchAll(/`([^`]+)`/g)) {
    const text = (cell[1] as string).replace(/\\\|/g, '|')
    const match = /^(GET|POST|PUT|PATCH|DELETE)?\s*(\/\S+)$/.exec(text)
    if (!match) continue
    const method = match[1] ?? 'GET'
    let paths = [(match[2] as string).replace(/\?.*$/, '')]
    paths = paths.flatMap((p) => {
      const optional = /\[([^\]]+)\]/.exec(p)
      return optional ? [p.replace(optional[0], ''), p.replace(optional[0], optional[1] as string)] : [p]
    })
    paths = paths.flatMap((p) => {
      const alt = /\/([a-z-]+(?:\|[a-z-]+)+)$/.exec(p)
      return alt ? (alt[1] as string).split('|').map((a) => p.replace(alt[0], `/${a}`)) : [p]
    })
    for (const p of paths) routes.push(`${method} ${p}`)
  }
  return routes
}

describe('GET /openapi.json', () => {
  let t: TestWarden
  let doc: { openapi: string; paths: Record<string, Record<string, unknown>> }
  beforeAll(async () => {
    t = await startTestWarden({ policy: { watch: false } })
    const res = await t.request('GET', '/openapi.json', { admin: false })
    expect(res.status).toBe(200)
    doc = (await res.json()) as typeof doc
  })
  afterAll(() => t.dispose())

  it('validates as an OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0')
    const result = await new Validator().validate(doc as never)
    expect(result.valid, JSON.stringify(result.errors)).toBe(true)
  })

  it('holds every route of the README, with the request body schemas of the contracts', () => {
    const routes = readmeRoutes()
    expect(routes.length).toBeGreaterThan(30)
    const patterns = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({
        method: method.toUpperCase(),
        regex: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
      })),
    )
    const missing = routes.filter((route) => {
      const [method, path] = route.split(' ') as [string, string]
      return !patterns.some((p) => p.method === method && p.regex.test(path))
    })
    expect(missing).toEqual([])
    const register = doc.paths['/v1/agents']?.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } }
    }
    expect(register.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['name', 'owner', 'tier']),
    )
  })
})
