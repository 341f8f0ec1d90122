import { createReadStream, createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { type CatalogTool, ToolCatalog, type ToolDefinition, unstoredTool } from '../catalog/index.js'
import type { ActivityEventV1 } from '../chain/index.js'
import { loadConfig } from '../config/index.js'
import type { ChainReplayDecision, ReplayDecision, Trace, TraceScore } from '../enforcement/index.js'
import { systemClock } from '../kernel/index.js'
import { jsonKeyFile, openStore } from '../store/index.js'
import { CliError, EXIT } from './exit-codes.js'

const SHIPPED = fileURLToPath(new URL('../../../policies/', import.meta.url))

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`
}

interface ReplayFlags {
  from?: string
  policy?: string
  out?: string
  labels?: boolean
  data?: string
  config?: string
  tools?: string
  behaviour: string
  diff?: boolean
}

/** `warden replay FILE`: offline decisions for agent traces or a chain export. */
export function addReplayCommand(program: Command): void {
  program
    .command('replay <file>')
    .description(
      'decide again, offline, every call of recorded agent traces or of a chain export (`warden chain export`)',
    )
    .option('--from <format>', '`trace` or `chain` (default: told by the first record)')
    .option(
      '--policy <dir>',
      "policy directory (default: the deployment's for a chain with --data/--config, else the shipped templates)",
    )
    .option('--out <file>', 'write decisions as JSON lines here (default: stdout)')
    .option('--labels', 'traces: score against their labels: attacks stopped, benign tasks interrupted')
    .option('--data <dir>', "chain: the deployment's data directory (its tool catalog and fingerprint key)")
    .option('--config <file>', 'chain: warden.yaml of the deployment (store, upstreams, policy directory)')
    .option(
      '--tools <file>',
      'chain: tool definitions `{ "<server>": [definitions] }` instead of the catalog',
    )
    .option(
      '--behaviour <source>',
      'chain: `detect` (run the detectors again; needs the fingerprint key) or `recorded` (the signals each decision recorded)',
      'detect',
    )
    .option('--diff', 'chain: print only the calls whose decision would change, and a count; exit 1 if any')
    .action(async (file: string, o: ReplayFlags) => {
      const format = o.from ?? (await firstRecordFormat(file))
      if (format === 'chain') return replayChain(file, o)
      if (format !== 'trace')
        throw new CliError(`\`--from\` must be \`trace\` or \`chain\`, not \`${format}\``, EXIT.usage)
      return replayTraces(file, o)
    })
}

/** `chain` when the file's first record is an activity-chain record, else `trace`. */
async function firstRecordFormat(file: string): Promise<string> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  const { isChainRecord } = await import('../enforcement/index.js')
  for await (const line of lines) {
    if (!line.trim()) continue
    lines.close()
    try {
      return isChainRecord(JSON.parse(line)) ? 'chain' : 'trace'
    } catch {
      return 'trace'
    }
  }
  return 'trace'
}

async function replayTraces(file: string, o: ReplayFlags): Promise<void> {
  // Loaded on use: Cedar's WebAssembly would slow every other command's start.
  const { Replayer, scoreTrace } = await import('../enforcement/index.js')
  const { readPolicyDirectory } = await import('../policy/index.js')
  const replayer = new Replayer(readPolicyDirectory(resolve(o.policy ?? SHIPPED)))
  const out: WriteStream | NodeJS.WriteStream = o.out ? createWriteStream(o.out) : process.stdout
  const counts = { traces: 0, calls: 0, allow: 0, deny: 0, escalate: 0 }
  const signals = new Map<string, number>()
  const scores: TraceScore[] = []
  const showProgress = process.stderr.isTTY === true
  const started = process.hrtime.bigint()
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  let lineNumber = 0
  for await (const line of lines) {
    lineNumber += 1
    if (!line.trim()) continue
    let trace: Trace
    try {
      trace = JSON.parse(line) as Trace
      if (typeof trace?.id !== 'string' || !Array.isArray(trace.events) || !Array.isArray(trace.tools))
        throw new Error('a trace needs `id`, `tools` and `events` (docs/trace-format.md)')
    } catch (error) {
      throw new CliError(`${file}:${lineNumber}: ${(error as Error).message}`, EXIT.failure)
    }
    const decisions: ReplayDecision[] = replayer.replay(trace)
    counts.traces += 1
    for (const d of decisions) {
      counts.calls += 1
      counts[d.effect] += 1
      for (const s of d.signals) signals.set(s.kind, (signals.get(s.kind) ?? 0) + 1)
      out.write(`${JSON.stringify(d)}\n`)
    }
    if (o.labels) scores.push(scoreTrace(trace, decisions))
    if (showProgress && counts.traces % 25 === 0)
      process.stderr.write(`\r${counts.traces} traces, ${counts.calls} calls`)
  }
  if (out !== process.stdout) await new Promise<void>((done) => (out as WriteStream).end(done))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (showProgress) process.stderr.write('\r')
  const top = [...signals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)
  const summary = [
    `${counts.traces} traces, ${counts.calls} calls in ${seconds.toFixed(2)} s (${Math.round(counts.calls / seconds)} calls/s)`,
    `allow ${counts.allow}  deny ${counts.deny}  escalate ${counts.escalate}`,
    `top signals: ${top.map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none'}`,
  ]
  if (o.labels) {
    const groups = new Map<string, TraceScore[]>()
    for (const s of scores) {
      for (const key of ['all', `suite ${s.suite}`, `model ${s.model}`])
        groups.set(key, [...(groups.get(key) ?? []), s])
    }
    summary.push('', 'group                          attack success (residual)   benign interrupted')
    for (const [key, group] of groups) {
      const attacks = group.filter((s) => s.kind === 'attack')
      const benign = group.filter((s) => s.kind === 'benign')
      const through = attacks.filter((s) => !s.ok).length
      const interrupted = benign.filter((s) => !s.ok).length
      summary.push(
        `${key.padEnd(30)} ${`${pct(through, attacks.length)} (${through}/${attacks.length})`.padEnd(27)} ${pct(interrupted, benign.length)} (${interrupted}/${benign.length})`,
      )
    }
  }
  const through = scores.flatMap((s) => (s.through ? [s.through] : []))
  if (through.length > 0) {
    const requested = through.filter((t) => t.requested).length
    summary.push(
      '',
      `attacks through (first goal call allowed): ${through.length}; of these, ${requested} send only to values the request itself gives`,
      ...through.map((t) => `  ${t.trace} ${t.call}${t.requested ? '  (named by the request)' : ''}`),
    )
  }
  process.stderr.write(`${summary.join('\n')}\n`)
}

/** The tools a chain replay decides against: a definitions file, or the deployment's catalog read offline. */
async function toolsFor(o: ReplayFlags, dataDir: string | undefined): Promise<CatalogTool[]> {
  if (o.tools) {
    const byServer = JSON.parse(readFileSync(o.tools, 'utf8')) as Record<
      string,
      Array<ToolDefinition & { sensitivity?: CatalogTool['sensitivity'] }>
    >
    return Object.entries(byServer).flatMap(([server, definitions]) =>
      definitions.map(({ sensitivity, ...definition }) => unstoredTool(server, definition, sensitivity)),
    )
  }
  if (dataDir === undefined)
    throw new CliError(
      'a chain records tool digests, not definitions: name the deployment (`--data DIR` or `--config FILE`) or pass `--tools FILE`',
      EXIT.usage,
    )
  const config = loadConfig({ config: o.config, data: o.data })
  const store = openStore(config.store, dataDir, { mustExist: true })
  try {
    return await new ToolCatalog(store, systemClock).list()
  } finally {
    await store.close()
  }
}

/**
 * `warden replay EXPORT.jsonl`: every decision of a chain export decided again, offline, in chain order — under the
 * deployment's policy set (does it reproduce what was recorded?) or another (`--policy DIR`, `--diff`: what would
 * change).
 */
async function replayChain(file: string, o: ReplayFlags): Promise<void> {
  if (o.behaviour !== 'detect' && o.behaviour !== 'recorded')
    throw new CliError('`--behaviour` must be `detect` or `recorded`', EXIT.usage)
  const { ChainReplayer, isChainRecord } = await import('../enforcement/index.js')
  const { readPolicyDirectory } = await import('../policy/index.js')
  const named = o.data !== undefined || o.config !== undefined
  const config = named ? loadConfig({ config: o.config, data: o.data }) : undefined
  const dataDir = config ? resolve(config.dataDir) : undefined
  const tools = await toolsFor(o, dataDir)
  // The deployment's fingerprint key (a data directory's `keys/fingerprint.json`): without it no argument can be
  // traced to an output the chain recorded by its keyed fingerprints.
  const keyFile = dataDir ? join(dataDir, 'keys', 'fingerprint.json') : undefined
  const stored =
    keyFile && existsSync(keyFile) ? await jsonKeyFile<{ key: string }>(keyFile).load() : undefined
  if (o.behaviour === 'detect' && !stored)
    throw new CliError(
      "`--behaviour detect` needs the deployment's fingerprint key (`--data DIR` holding keys/fingerprint.json); use `--behaviour recorded` without it",
      EXIT.usage,
    )
  const policyDir = resolve(o.policy ?? config?.policy.dir ?? SHIPPED)
  const replayer = new ChainReplayer({
    policies: readPolicyDirectory(policyDir),
    tools,
    behaviour: o.behaviour,
    ...(stored ? { fingerprintKey: Buffer.from(stored.key, 'base64url') } : {}),
    memoryServers: new Set(
      Object.entries(config?.upstreams ?? {})
        .filter(([, upstream]) => upstream.kind === 'memory')
        .map(([name]) => name),
    ),
    validateRequests: config?.policy.validateRequests ?? false,
  })
  const out: WriteStream | NodeJS.WriteStream = o.out ? createWriteStream(o.out) : process.stdout
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  const changes = new Map<string, number>()
  const counts = { decisions: 0, changed: 0, redacted: 0, redactedChanged: 0, notes: 0 }
  const changed: ChainReplayDecision[] = []
  let lineNumber = 0
  let lastSeq = 0
  for await (const line of lines) {
    lineNumber += 1
    if (!line.trim()) continue
    let record: ActivityEventV1
    try {
      const parsed = JSON.parse(line) as unknown
      if (!isChainRecord(parsed)) throw new Error('not an activity-chain record (`warden chain export`)')
      record = parsed
    } catch (error) {
      throw new CliError(`${file}:${lineNumber}: ${(error as Error).message}`, EXIT.failure)
    }
    // INVARIANT: records are fed in chain order; a task's history is what came before each of its calls.
    if (record.seq <= lastSeq)
      throw new CliError(
        `${file}:${lineNumber}: seq ${record.seq} after ${lastSeq}: not in chain order`,
        EXIT.failure,
      )
    lastSeq = record.seq
    const decision = replayer.next(record)
    if (!decision) continue
    counts.decisions += 1
    if (decision.redacted.length > 0) counts.redacted += 1
    if (decision.notes.length > 0) counts.notes += 1
    if (decision.changed) {
      counts.changed += 1
      if (decision.redacted.length > 0) counts.redactedChanged += 1
      const change = `${decision.recorded.effect} → ${decision.replayed.effect}`
      changes.set(change, (changes.get(change) ?? 0) + 1)
      changed.push(decision)
    }
    if (!o.diff) out.write(`${JSON.stringify(decision)}\n`)
  }
  if (o.diff) {
    for (const d of changed) {
      const target = d.tool ? `${d.server ?? '?'}/${d.tool}` : `${d.action}${d.server ? ` ${d.server}` : ''}`
      const policies = d.replayed.reasons.length ? d.replayed.reasons.join(', ') : '(none)'
      const errors = d.replayed.errors.length ? `  errors: ${d.replayed.errors.join('; ')}` : ''
      out.write(
        `seq ${d.callSeq}  ${target}  ${d.recorded.effect} → ${d.replayed.effect}  policies: ${policies} (recorded: ${d.recorded.reasons.join(', ') || 'none'})${errors}${d.redacted.length ? '  [arguments redacted]' : ''}\n`,
      )
    }
  }
  const summary = [
    `${counts.decisions} decisions replayed, ${counts.decisions - counts.changed} unchanged, ${counts.changed} changed${changes.size ? ` (${[...changes].map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}`,
  ]
  if (counts.redacted > 0)
    summary.push(
      `${counts.redacted} calls were replayed with arguments the chain holds redacted (${counts.redactedChanged} of them changed): a policy or detector reading those values saw the mask`,
    )
  if (counts.notes > 0)
    summary.push(`${counts.notes} decisions carry notes (see \`notes\` in the JSON output)`)
  if (out !== process.stdout) await new Promise<void>((done) => (out as WriteStream).end(done))
  if (o.diff) process.stdout.write(`${summary.join('\n')}\n`)
  else process.stderr.write(`${summary.join('\n')}\n`)
  if (o.diff && counts.changed > 0) process.exitCode = 1
}
