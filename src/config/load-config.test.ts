import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isWardenError } from '../kernel/index.js'
import { loadConfig } from './load-config.js'

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'warden-config-')), 'warden.yaml')
  writeFileSync(file, text)
  return file
}

function failure(run: () => unknown): { code: string; keys: string[] } {
  try {
    run()
  } catch (error) {
    if (!isWardenError(error)) throw error
    const issues = (error.details?.issues ?? []) as Array<{ key: string }>
    return { code: error.code, keys: issues.map((i) => i.key) }
  }
  throw new Error('expected loadConfig to fail')
}

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({}, {})
    expect(config.trustDomain).toBe('warden.local')
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8700 })
    expect(config.identity.svidTtl).toBe(300_000)
    expect(config.store).toEqual({ kind: 'sqlite', durability: 'full' })
  })

  it('layers file < environment < flags', () => {
    const file = configFile('trustDomain: corp.example\nserver:\n  port: 9000\n  host: 0.0.0.0\n')
    const config = loadConfig(
      { config: file, port: '9100' },
      { WARDEN_HOST: '127.0.0.2', WARDEN_PORT: '9050' },
    )
    expect(config.trustDomain).toBe('corp.example')
    expect(config.server.host).toBe('127.0.0.2')
    expect(config.server.port).toBe(9100)
  })

  it('reports a bad value by its key and refuses to start', () => {
    const file = configFile('trustDomain: "Not A Domain"\nidentity:\n  svidTtl: soon\n')
    expect(failure(() => loadConfig({ config: file }, {}))).toEqual({
      code: 'CONFIG_INVALID',
      keys: ['trustDomain', 'identity.svidTtl'],
    })
  })

  it('reports an unknown key instead of ignoring it', () => {
    const file = configFile('server:\n  prot: 8000\n')
    expect(failure(() => loadConfig({ config: file }, {})).code).toBe('CONFIG_INVALID')
  })

  it('reports a bad port from a flag and a file that is not YAML', () => {
    expect(failure(() => loadConfig({ port: 'eighty' }, {})).keys).toEqual(['server.port'])
    expect(failure(() => loadConfig({ config: configFile('a: [1,') }, {})).code).toBe('CONFIG_INVALID')
    expect(failure(() => loadConfig({ config: '/nonexistent/warden.yaml' }, {})).code).toBe('CONFIG_INVALID')
  })
})
