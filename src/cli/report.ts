import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { ToolCatalog } from '../catalog/index.js'
import { type ActivityChain, ChainReader, parsePublicKey } from '../chain/index.js'
import { SHIPPED_POLICIES } from '../compose.js'
import { loadConfig } from '../config/index.js'
import { AgentRegistry, IdentityEvents } from '../identity/index.js'
import { parseDuration, silentLogger, systemClock, WardenError } from '../kernel/index.js'
import { PolicyEngine, readPolicyDirectory } from '../policy/index.js'
import {
  COMPLIANCE_FORMATS,
  type ComplianceFormat,
  complianceReport,
  PRIVILEGE_FORMATS,
  type PrivilegeFormat,
  privilegeReport,
  probeTierTemplate,
  type ReportSources,
  renderCompliance,
  renderPrivileges,
} from '../reports/index.js'
import { openStore } from '../store/index.js'

interface OfflineFlags {
  config?: string
  data?: string
  publicKey?: string
}

/** Reads a report's sources straight from the data directory (or the configured store): no server, no writes. */
async function withSources<T>(flags: OfflineFlags, work: (sources: ReportSources) => Promise<T>): Promise<T> {
  const config = loadConfig({ config: flags.config, data: flags.data })
  const dataDir = resolve(config.dataDir)
  const store = openStore(config.store, dataDir, { mustExist: true })
  const chain = new ChainReader(store)
  // Read-only: listing agents never records an identity event, so no appending chain is needed.
  const agents = new AgentRegistry(
    store,
    systemClock,
    new IdentityEvents(chain as unknown as ActivityChain, config.trustDomain),
  )
  const keyFile = flags.publicKey ?? join(dataDir, 'keys', 'chain-public.pem')
  const pem = existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : undefined
  const policies = readPolicyDirectory(resolve(config.policy.dir ?? SHIPPED_POLICIES))
  try {
    return await work({
      agents: () => agents.list(),
      tools: () => new ToolCatalog(store, systemClock).list(),
      template: (tools) => {
        const engine = new PolicyEngine(silentLogger, { validateRequests: false })
        const loaded = engine.load(policies, tools)
        if (!loaded.ok) throw new WardenError('POLICY_INVALID', 'the policy directory does not validate')
        return probeTierTemplate(engine, tools, systemClock.now())
      },
      maxDelegationDepth: config.tasks.maxDelegationDepth,
      chain,
      publicKey: pem ? { key: parsePublicKey(pem), pem } : undefined,
      now: () => systemClock.now(),
    })
  } finally {
    await store.close()
  }
}

function sinceOption(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw new WardenError('BAD_REQUEST', `\`${value}\` is not a duration (30d, 12h, …)`)
  return ms
}

/** Reads `--reviewed FILE`: one delegation path a line, agents separated by `>` (`#` starts a comment). */
function readReviewed(file: string | undefined): string[][] | undefined {
  if (file === undefined) return undefined
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split('>').map((name) => name.trim()))
}

function emit(body: string, out: string | undefined): void {
  if (out) writeFileSync(out, body)
  else process.stdout.write(body)
}

/** `warden report privileges|compliance`: offline, on the data directory (or the configured store). */
export function addReportCommands(program: Command): void {
  const report = program
    .command('report')
    .description('reports for auditors (offline, on the data directory)')
  const offline = (command: Command) =>
    command
      .option('--config <file>', 'warden.yaml')
      .option('--data <dir>', 'data directory (default ./.warden)')
      .option('--since <duration>', 'the period: this long before now', '30d')
      .option('--out <file>', 'write the report to a file instead of stdout')

  offline(report.command('privileges'))
    .description(
      'effective privilege: entitlements, delegation paths and the tools reachable on each, used against granted',
    )
    .option('--agent <name>', 'one agent only')
    .option('--format <format>', `one of ${PRIVILEGE_FORMATS.join(', ')}`, 'md')
    .option('--reviewed <file>', 'delegation paths reviewed as a whole, one a line: `a > b > c`')
    .action(async (o) => {
      if (!PRIVILEGE_FORMATS.includes(o.format))
        throw new WardenError('BAD_REQUEST', `\`--format\` must be one of ${PRIVILEGE_FORMATS.join(', ')}`)
      const rendered = await withSources(o, async (sources) => {
        const now = sources.now()
        const built = await privilegeReport(sources, {
          period: { since: now - sinceOption(o.since), until: now + 1 },
          agent: o.agent,
          reviewed: readReviewed(o.reviewed),
        })
        return renderPrivileges(built, o.format as PrivilegeFormat)
      })
      emit(rendered.body, o.out)
    })

  offline(report.command('compliance'))
    .description(
      'every control and detector mapped to OWASP ASI, OWASP NHI, MAESTRO and NIST AI RMF, with the evidence of the period',
    )
    .option('--format <format>', `one of ${COMPLIANCE_FORMATS.join(', ')}`, 'md')
    .option('--public-key <file>', 'the checkpoint public key; default <data>/keys/chain-public.pem')
    .action(async (o) => {
      if (!COMPLIANCE_FORMATS.includes(o.format))
        throw new WardenError('BAD_REQUEST', `\`--format\` must be one of ${COMPLIANCE_FORMATS.join(', ')}`)
      const rendered = await withSources(o, async (sources) => {
        const now = sources.now()
        const built = await complianceReport(sources, {
          period: { since: now - sinceOption(o.since), until: now + 1 },
        })
        // A damaged chain still gets its report (it names the damage), and the command fails.
        if (built.verification.checked && !built.verification.ok) process.exitCode = 1
        return renderCompliance(built, o.format as ComplianceFormat)
      })
      emit(rendered.body, o.out)
    })
}
