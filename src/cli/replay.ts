import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import type { ReplayDecision, Trace, TraceScore } from '../enforcement/index.js'
import { CliError, EXIT } from './exit-codes.js'

const SHIPPED = fileURLToPath(new URL('../../../policies/', import.meta.url))

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`
}

/** `warden replay FILE.jsonl`: offline decisions for agent traces, optionally scored against their labels. */
export function addReplayCommand(program: Command): void {
  program
    .command('replay <file>')
    .description('decide every tool call of recorded agent traces (one JSON line each), offline')
    .option('--policy <dir>', 'policy directory (default: the shipped templates)')
    .option('--out <file>', 'write decisions as JSON lines here (default: stdout)')
    .option('--labels', 'score against the traces’ labels: attacks stopped, benign tasks interrupted')
    .action(async (file: string, o) => {
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
    })
}
