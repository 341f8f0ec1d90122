import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The shell block under "## Try it by hand" in README.md, exactly as a reader copies it. */
function readmeBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.indexOf('## Try it by hand')
  const start = readme.indexOf('```sh\n', section) + '```sh\n'.length
  return readme.slice(start, readme.indexOf('```', start))
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

describe('the README hands-on section', () => {
  // A fresh working directory that looks like a clone after `npm ci && npm run build`.
  const dir = mkdtempSync(join(tmpdir(), 'warden-first-day-'))
  for (const entry of ['node_modules', 'dist', 'examples', 'policies', 'package.json'])
    symlinkSync(join(ROOT, entry), join(dir, entry))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs end to end: a tool call allowed through the gateway, one denied, the chain verified, a replay', async () => {
    writeFileSync(join(dir, 'first-day.sh'), readmeBlock())
    const child = spawn('bash', ['-e', 'first-day.sh'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, WARDEN_PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 100_000)
    const [code] = (await once(child, 'exit')) as [number | null]
    clearTimeout(timer)
    const log = readFileSync(join(dir, 'warden.log'), 'utf8')
    expect(code, `${stdout}\n${stderr}\n${log}`).toBe(0)
    expect(stdout).toMatch(/read_text_file → allowed: .*Team notes/)
    expect(stdout).toMatch(/write_file → denied: .*denied by Warden \(decision /)
    // Two decisions in the chain, read back through `warden events`.
    expect(stdout.match(/ decision {12}/g)).toHaveLength(2)
    expect(stdout).toMatch(/chain intact: \d+ records/)
    expect(stderr).toContain('attack success')
    expect(readFileSync(join(dir, 'decisions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(7)
    // `kill %1` reached the server itself, which flushed the chain and stopped.
    expect(log).toContain('"msg":"stopped"')
  }, 120_000)
})
