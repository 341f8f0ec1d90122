import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import ms from 'ms'
import pc from 'picocolors'
import type { ActivityEventV1 } from '../chain/index.js'
import { loadConfig } from '../config/index.js'
import { createApiClient, serverUrl } from './api-client.js'
import { CliError, EXIT } from './exit-codes.js'
import { printJson, printTable } from './output.js'

interface Check {
  check: string
  ok: boolean
  detail: string
}

/** A time flag: ISO-8601, epoch milliseconds, or an age like `15m` (that long ago). */
function parseSince(value: string): string {
  if (/^\d+$/.test(value)) return value
  const age = ms(value as ms.StringValue) as number | undefined
  if (typeof age === 'number' && Number.isFinite(age)) return new Date(Date.now() - age).toISOString()
  if (!Number.isNaN(Date.parse(value))) return new Date(value).toISOString()
  throw new CliError(`\`${value}\` is not a time: ISO-8601, epoch ms, or an age like \`15m\``, EXIT.usage)
}

/** `warden config validate`, `warden doctor`, `warden events`, `warden secret put`. */
export function addOpsCommands(program: Command): void {
  const config = program.command('config').description('inspect and validate warden.yaml')
  config
    .command('validate [file]')
    .description('validate a config (default $WARDEN_CONFIG) without starting; exit 1 naming each bad key')
    .action((file: string | undefined) => {
      const loaded = loadConfig({ config: file })
      printJson({
        ok: true,
        file: file ?? process.env.WARDEN_CONFIG ?? null,
        dataDir: loaded.dataDir,
        store: loaded.store.kind,
        upstreams: Object.keys(loaded.upstreams),
      })
    })

  program
    .command('doctor')
    .description(
      'check a running Warden and this machine: store, policies, chain, upstreams, clock, key file permissions',
    )
    .option('--url <url>', 'Warden URL (default $WARDEN_URL or http://127.0.0.1:8700)')
    .option('--config <file>', 'warden.yaml, to validate and to find the data directory')
    .option('--data <dir>', 'data directory whose key files to check (default from the config, ./.warden)')
    .action(async (o) => {
      const checks: Check[] = []
      let dataDir: string | undefined
      try {
        const loaded = loadConfig({ config: o.config, data: o.data })
        dataDir = resolve(loaded.dataDir)
        checks.push({
          check: 'config',
          ok: true,
          detail: o.config ?? process.env.WARDEN_CONFIG ?? 'defaults',
        })
      } catch (error) {
        checks.push({ check: 'config', ok: false, detail: (error as Error).message })
      }
      const base = serverUrl(o)
      let response: Response
      try {
        response = await fetch(new URL('/readyz', base))
      } catch (cause) {
        throw new CliError(
          `cannot reach warden at \`${base}\` (set --url or $WARDEN_URL)`,
          EXIT.unreachable,
          {
            cause,
          },
        )
      }
      const report = (await response.json().catch(() => ({}))) as {
        checks?: Array<{ name: string; ok: boolean; detail?: string }>
      }
      for (const c of report.checks ?? []) checks.push({ check: c.name, ok: c.ok, detail: c.detail ?? '' })
      const serverDate = Date.parse(response.headers.get('date') ?? '')
      if (!Number.isNaN(serverDate)) {
        // `Date` has one-second resolution: anything within 5 s is sane for token lifetimes of minutes.
        const skew = Math.abs(serverDate - Date.now())
        checks.push({
          check: 'clock',
          ok: skew <= 5_000,
          detail: `skew ${Math.round(skew / 1000)} s vs this machine`,
        })
      }
      if (dataDir) checks.push(...keyFileChecks(dataDir))
      printTable(
        checks.map((c) => ({ ...c, ok: c.ok ? pc.green('ok') : pc.red('FAIL') })),
        ['check', 'ok', 'detail'],
      )
      if (checks.some((c) => !c.ok)) process.exitCode = EXIT.failure
    })

  program
    .command('events')
    .description('query the activity chain (admin); --follow keeps printing new records as they commit')
    .option('--task <id>', 'one task')
    .option('--kind <kind>', 'one kind, e.g. decision, tool.call, task.close')
    .option('--agent <spiffe-id>', 'an agent or instance SPIFFE ID (an agent ID covers its instances)')
    .option('--since <time>', 'ISO-8601, epoch ms, or an age like 15m')
    .option('--until <time>', 'ISO-8601 or epoch ms')
    .option('--limit <n>', 'records per page', '100')
    .option('-f, --follow', 'keep polling for new records (Ctrl-C stops)')
    .option('--interval <duration>', 'poll interval with --follow', '1s')
    .option('-o, --output <format>', 'table | json (JSON lines)', 'table')
    .option('--url <url>')
    .action(async (o) => {
      const api = createApiClient(o)
      const query = new URLSearchParams({ limit: String(o.limit) })
      if (o.task) query.set('task', o.task)
      if (o.kind) query.set('kind', o.kind)
      if (o.agent) query.set('agent', o.agent)
      if (o.since) query.set('since', parseSince(o.since))
      if (o.until) query.set('until', parseSince(o.until))
      const interval = ms(o.interval as ms.StringValue) as number | undefined
      if (typeof interval !== 'number' || interval <= 0)
        throw new CliError(`--interval \`${o.interval}\` is not a duration`, EXIT.usage)
      let after = 0
      for (;;) {
        query.set('after', String(after))
        const page = await api.call<{ events: ActivityEventV1[]; next: number | null }>(
          'GET',
          `/v1/events?${query}`,
        )
        for (const event of page.events) {
          if (o.output === 'json') process.stdout.write(`${JSON.stringify(event)}\n`)
          else
            process.stdout.write(
              `${String(event.seq).padStart(6)}  ${new Date(event.ts).toISOString()}  ${event.kind.padEnd(19)} ${event.task ?? '-'}  ${event.agent ?? '-'}\n`,
            )
          after = event.seq
        }
        if (page.next !== null) continue
        if (!o.follow) break
        await new Promise((done) => setTimeout(done, interval))
      }
    })

  const secret = program.command('secret').description('static secrets tasks may lease')
  secret
    .command('put <name>')
    .description(
      'store the value of a configured static secret, read from stdin (never from the command line)',
    )
    .option('--from-file <file>', 'read the value from a file instead of stdin')
    .option('--url <url>')
    .action(async (name: string, o) => {
      const value = (o.fromFile ? readFileSync(o.fromFile, 'utf8') : readFileSync(0, 'utf8')).replace(
        /\r?\n$/,
        '',
      )
      if (!value) throw new CliError('the secret value is empty', EXIT.usage)
      await createApiClient(o).call('PUT', `/v1/secrets/${encodeURIComponent(name)}`, { value })
      printJson({ stored: name })
    })
}

/** Key files must be readable by their owner alone; the chain's public key may be read by anyone. */
function keyFileChecks(dataDir: string): Check[] {
  const dir = join(dataDir, 'keys')
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return [{ check: 'key files', ok: true, detail: `none at ${dir} (not this machine's data directory?)` }]
  }
  const loose = names
    .filter((name) => name !== 'chain-public.pem')
    .filter((name) => (statSync(join(dir, name)).mode & 0o077) !== 0)
  return [
    loose.length > 0
      ? { check: 'key files', ok: false, detail: `readable by others: ${loose.join(', ')} (chmod 600)` }
      : { check: 'key files', ok: true, detail: `${names.length} files in ${dir}, owner-only` },
  ]
}
