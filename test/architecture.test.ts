import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = new URL('../src/', import.meta.url).pathname

/** The core never imports an adapter (ARCHITECTURE.md, "Parts"). */
const FORBIDDEN: Record<string, readonly string[]> = {
  kernel: [
    'config',
    'store',
    'identity',
    'tasks',
    'chain',
    'behaviour',
    'policy',
    'enforcement',
    'approvals',
    'gateway',
    'api',
    'cli',
    'web',
    'reports',
  ],
  config: [
    'store',
    'identity',
    'tasks',
    'chain',
    'behaviour',
    'policy',
    'enforcement',
    'approvals',
    'gateway',
    'api',
    'cli',
  ],
  store: [
    'config',
    'identity',
    'tasks',
    'chain',
    'behaviour',
    'policy',
    'enforcement',
    'approvals',
    'gateway',
    'api',
    'cli',
  ],
  chain: [
    'config',
    'identity',
    'tasks',
    'behaviour',
    'policy',
    'enforcement',
    'approvals',
    'gateway',
    'api',
    'cli',
  ],
  identity: ['gateway', 'api', 'cli'],
  tasks: ['gateway', 'api', 'cli'],
  behaviour: ['gateway', 'api', 'cli'],
  policy: ['gateway', 'api', 'cli'],
  enforcement: ['gateway', 'api', 'cli'],
  approvals: ['gateway', 'api', 'cli'],
  cluster: ['gateway', 'api', 'cli'],
  reports: ['gateway', 'api', 'cli'],
  telemetry: [
    'config',
    'identity',
    'tasks',
    'behaviour',
    'policy',
    'enforcement',
    'approvals',
    'gateway',
    'api',
    'cli',
  ],
  sdk: [
    'kernel',
    'config',
    'store',
    'identity',
    'tasks',
    'chain',
    'behaviour',
    'policy',
    'enforcement',
    'approvals',
    'gateway',
    'api',
    'cli',
    'telemetry',
  ],
  gateway: ['cli'],
  api: ['cli'],
  operations: ['api', 'cli'],
  web: ['api', 'cli', 'gateway'],
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return files(path)
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : []
  })
}

const imports = files(SRC).flatMap((file) => {
  const from = relative(SRC, file).split(sep)
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => {
    const target = relative(SRC, join(file, '..', match[1] as string)).split(sep)
    return { file: relative(SRC, file), fromPart: from.length > 1 ? from[0] : '(root)', target }
  })
})

describe('architecture', () => {
  it('keeps the core free of adapters', () => {
    const violations = imports
      .filter((i) => (FORBIDDEN[i.fromPart as string] ?? []).includes(i.target[0] as string))
      .map((i) => `${i.file} -> ${i.target.join('/')}`)
    expect(violations).toEqual([])
  })

  it('imports another part only through its index.ts', () => {
    const violations = imports
      .filter((i) => i.target.length > 1 && i.target[0] !== i.fromPart)
      .filter((i) => i.target.slice(1).join('/') !== 'index.js')
      .map((i) => `${i.file} -> ${i.target.join('/')}`)
    expect(violations).toEqual([])
  })

  it('lets only the composition root and entry points import compose.ts', () => {
    const importers = imports.filter((i) => i.target.join('/') === 'compose.js').map((i) => i.fromPart)
    expect(new Set(importers)).toEqual(new Set(['api', 'cli', 'web']))
  })
})
