import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TaskHandle, WardenAgent, WardenApiError } from '../../src/sdk/index.js'
import { mcpClient } from '../fakes/gateway.js'
import { type ServeProcess, startServe } from '../fakes/process.js'

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it): never a downloaded browser. */
const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium'
const FILESYSTEM = new URL(
  '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
  import.meta.url,
).pathname
/** `WARDEN_CONSOLE_SCREENSHOTS=1 npx vitest run test/web` refreshes the README's screenshots. */
const SCREENSHOTS = process.env.WARDEN_CONSOLE_SCREENSHOTS
  ? new URL('../../docs/console/', import.meta.url).pathname
  : undefined
const ADMIN = 'console-test-admin-token'

describe.skipIf(!existsSync(CHROMIUM))(
  'the console, in a real browser against warden serve',
  { timeout: 60_000 },
  () => {
    let dataDir: string
    let sandbox: string
    let serve: ServeProcess
    let browser: Browser
    let admin: BrowserContext
    let page: Page
    let ops: WardenAgent
    let task: TaskHandle

    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${serve.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      expect(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`).toBe(true)
      return res.json() as Promise<Record<string, unknown>>
    }
    const attest = async (agent: string) => {
      const { token } = (await api('POST', `/v1/agents/${agent}/join-tokens`)) as { token: string }
      return WardenAgent.attest(serve.url, { method: 'join_token', token })
    }
    const authorize = (agent: WardenAgent, on: TaskHandle, tool: string, args: Record<string, unknown>) =>
      agent.call<{ effect: string }>('POST', '/v1/authorize', {
        token: on.token,
        body: { action: 'tools/call', tool, args },
      })
    const shot = async (name: string, on: Page = page) => {
      if (!SCREENSHOTS) return
      mkdirSync(SCREENSHOTS, { recursive: true })
      await on.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
    }
    /** Opens the console, is sent to sign in, pastes `token`: the page it lands on. */
    const submitToken = async (context: BrowserContext, token: string) => {
      const signedIn = await context.newPage()
      await signedIn.goto(`${serve.url}/console`)
      expect(new URL(signedIn.url()).pathname).toBe('/console/sign-in')
      await signedIn.getByLabel('Token').fill(token)
      await Promise.all([
        signedIn.waitForLoadState('load'),
        signedIn.getByRole('button', { name: 'Sign in' }).click(),
      ])
      return signedIn
    }
    const signIn = async (context: BrowserContext, token: string) => {
      const signedIn = await submitToken(context, token)
      await signedIn.waitForURL(`${serve.url}/console`)
      return signedIn
    }

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'warden-console-'))
      sandbox = mkdtempSync(join(tmpdir(), 'warden-console-files-'))
      writeFileSync(join(sandbox, 'notes.txt'), 'quarterly numbers\n')
      const config = join(dataDir, 'warden.yaml')
      writeFileSync(
        config,
        [
          'upstreams:',
          `  files: { command: ["node", ${JSON.stringify(FILESYSTEM)}, ${JSON.stringify(sandbox)}] }`,
          'approvals: { hold: 20s }',
          // Checkpoints often, so a task's page can show its records vouched for by a signature.
          'chain: { checkpointEvery: 2 }',
          'policy: { watch: false }',
        ].join('\n'),
      )
      serve = await startServe(['--data', dataDir, '--config', config], { WARDEN_ADMIN_TOKEN: ADMIN })
      await api('POST', '/v1/agents', {
        name: 'ops',
        owner: 'ops@example.com',
        tier: 'high',
        entitlements: ['read_text_file', 'write_file', 'list_directory'],
      })
      await api('POST', '/v1/agents', {
        name: 'reporter',
        owner: 'reports@example.com',
        tier: 'standard',
        entitlements: ['read_text_file'],
      })
      ops = await attest('ops')
      task = await ops.openTask({
        purpose: 'file the quarterly report',
        prompt: `read notes.txt and write the report to ${join(sandbox, 'report.txt')}`,
        tools: ['read_text_file', 'write_file'],
      })
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      })
      admin = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    }, 60_000)

    afterAll(async () => {
      await browser?.close()
      await serve?.stop('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
      rmSync(sandbox, { recursive: true, force: true })
    })

    it('signs in with the admin token into a session cookie that is HttpOnly and SameSite=Strict', async () => {
      const unsigned = await browser.newContext()
      const refused = await submitToken(unsigned, 'not-a-token')
      await refused.getByRole('alert').waitFor()
      expect(new URL(refused.url()).pathname).toBe('/console/sign-in')
      expect(await unsigned.cookies()).toEqual([])
      await unsigned.close()

      page = await signIn(admin, ADMIN)
      const [cookie] = await admin.cookies()
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
      const headers = (await page.request.get(`${serve.url}/console`)).headers()
      expect(headers['content-security-policy']).toContain("script-src 'self'")
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'")
    })

    it('shows a denied call live, and its task with the evidence and the verified chain', async () => {
      await page.goto(`${serve.url}/console`)
      await expect.poll(() => page.locator('#live-status').textContent()).toBe('Live')
      // Not declared at task open: denied.
      await authorize(ops, task, 'list_directory', { path: sandbox })
      const denied = page.locator('tr.effect-deny').first()
      await denied.waitFor({ timeout: 10_000 })
      await shot('activity')
      await denied.getByRole('link').click()
      await page.waitForURL(`${serve.url}/console/tasks/${task.taskId}`)
      const timeline = page.locator('ol.timeline')
      await expect.poll(() => timeline.locator('li.effect-deny').count()).toBe(1)
      expect(await page.locator('li.kind-tool-call').first().textContent()).toContain('list_directory')
      expect(await page.locator('.verified').textContent()).toContain('Chain verified')
      expect(await page.locator('dl.facts').first().textContent()).toContain('file the quarterly report')
      await shot('task')

      // Positive control: a declared read is allowed, and the page says so.
      expect(
        (await authorize(ops, task, 'read_text_file', { path: join(sandbox, 'notes.txt') })).effect,
      ).toBe('allow')
      await page.reload()
      expect(await page.locator('ol.timeline li.effect-allow').count()).toBe(1)
    })

    it('answers a held call from the approvals page, and the held agent continues at once', async () => {
      const files = await mcpClient(`${serve.url}/mcp/files`, ops, task)
      const target = join(sandbox, 'report.txt')
      // A high-tier write with the filesystem server's (absent) annotations: held for a human.
      const held = files.callTool({ name: 'write_file', arguments: { path: target, content: 'Q3: up' } })
      await page.goto(`${serve.url}/console/approvals`)
      // The held call shows with its exact arguments once its records are committed (a few ms after it is held).
      const approval = page.locator('li.approval')
      await expect
        .poll(
          async () => {
            await page.reload()
            return (await approval.count()) === 1 ? approval.textContent() : ''
          },
          { timeout: 15_000 },
        )
        .toContain(target)
      expect(await approval.textContent()).toContain('write_file')
      await shot('approvals')
      const approve = approval.locator('form[action$="/approve"]')
      await approve.getByLabel('Reason').fill('quarterly figures checked')
      await approve.getByRole('button', { name: 'Approve' }).click()
      const result = (await held) as { isError?: boolean }
      expect(result.isError).not.toBe(true)
      expect(readFileSync(target, 'utf8')).toBe('Q3: up')
      // The answer's reason is kept with it.
      await page.goto(`${serve.url}/console/approvals`)
      expect(await page.locator('table[aria-label="Answered approvals"]').textContent()).toContain(
        'quarterly figures checked',
      )
      await files.close()
    })

    it('quarantines an instance: its next call is refused, the other agents keep working', async () => {
      const reporter = await attest('reporter')
      const report = await reporter.openTask({ purpose: 'read', tools: ['read_text_file'] })
      await page.goto(`${serve.url}/console/agents`)
      await shot('agents')
      const form = page.locator(
        `form[action="/console/instances/${ops.toCredential().instanceId}/quarantine"]`,
      )
      await form.getByLabel('Reason').fill('leaked key')
      await form.getByRole('button').click()
      await page.waitForURL(`${serve.url}/console/agents`)
      expect(await page.locator('td.status-quarantined').count()).toBe(1)

      const refused = await authorize(ops, task, 'read_text_file', {
        path: join(sandbox, 'notes.txt'),
      }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(WardenApiError)
      expect((refused as WardenApiError).code).toBe('INSTANCE_QUARANTINED')
      // Positive control: another agent's instance is untouched.
      expect(
        (await authorize(reporter, report, 'read_text_file', { path: join(sandbox, 'notes.txt') })).effect,
      ).toBe('allow')
    })

    it("lets an owner see and act on their own agents only, never another owner's", async () => {
      const { token } = (await api(
        'POST',
        `/v1/owners/${encodeURIComponent('reports@example.com')}/tokens`,
      )) as {
        token: string
      }
      const owner = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      const ownerPage = await signIn(owner, token)
      await ownerPage.goto(`${serve.url}/console/agents`)
      const agents = await ownerPage.locator('section.agent h2').allTextContents()
      expect(agents.join()).toContain('reporter')
      expect(agents.join()).not.toContain('ops')
      const other = await ownerPage.goto(`${serve.url}/console/tasks/${task.taskId}`)
      expect(other?.status()).toBe(404)
      // An owner's form posts cannot reach another owner's agent either.
      await ownerPage.goto(`${serve.url}/console/agents`)
      const csrf = await ownerPage.locator('input[name="csrf"]').first().inputValue()
      const disable = await ownerPage.request.post(`${serve.url}/console/agents/ops/disable`, {
        form: { csrf },
        headers: { origin: serve.url },
      })
      expect(disable.status()).toBe(404)
      expect(((await api('GET', '/v1/agents/ops')) as { status: string }).status).toBe('active')
      await owner.close()
    })

    it('refuses a form post without the session CSRF token or from another origin', async () => {
      const csrf = await page.locator('input[name="csrf"]').first().inputValue()
      const noToken = await page.request.post(`${serve.url}/console/agents/reporter/disable`, {
        form: { csrf: 'wrong' },
        headers: { origin: serve.url },
      })
      expect(noToken.status()).toBe(403)
      const crossSite = await page.request.post(`${serve.url}/console/agents/reporter/disable`, {
        form: { csrf },
        headers: { origin: 'http://evil.example' },
      })
      expect(crossSite.status()).toBe(403)
      expect(((await api('GET', '/v1/agents/reporter')) as { status: string }).status).toBe('active')
      // Positive control: the same post from the console page with its token disables the agent.
      const done = await page.request.post(`${serve.url}/console/agents/reporter/disable`, {
        form: { csrf },
        headers: { origin: serve.url },
      })
      expect(done.status()).toBe(200)
      expect(((await api('GET', '/v1/agents/reporter')) as { status: string }).status).toBe('disabled')
    })

    it('shows a task with 1,000 chain records (measured, printed)', async () => {
      await api('POST', '/v1/agents', {
        name: 'bulk',
        owner: 'ops@example.com',
        tier: 'low',
        entitlements: ['read_text_file'],
      })
      const bulk = await attest('bulk')
      const busy = await bulk.openTask({ purpose: 'read many times', tools: ['read_text_file'] })
      for (let i = 0; i < 500; i++) await authorize(bulk, busy, 'read_text_file', { path: `/n/${i}.txt` })
      await page.goto(`${serve.url}/console/tasks/${busy.taskId}`)
      const records = await page.locator('ol.timeline > li').count()
      expect(records).toBeGreaterThanOrEqual(1000)
      const ms = await page.evaluate(() => {
        // The page's own timing: from the request to the end of its load event.
        const [nav] = performance.getEntriesByType('navigation' as never) as unknown as Array<{
          loadEventEnd: number
          startTime: number
        }>
        return nav ? nav.loadEventEnd - nav.startTime : Number.NaN
      })
      const started = performance.now()
      const html = await page.request.get(`${serve.url}/console/tasks/${busy.taskId}`)
      await html.text()
      const server = performance.now() - started
      process.stdout.write(`console: the server rendered it in ${server.toFixed(0)} ms\n`)
      process.stdout.write(
        `console: a task page with ${records} chain records loaded in ${ms.toFixed(0)} ms\n`,
      )
    }, 120_000)
  },
)
