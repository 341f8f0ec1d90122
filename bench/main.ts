import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { benchChain } from './chain.js'
import { benchCluster } from './cluster.js'
import { benchDecision } from './decision.js'
import { benchGateway } from './gateway.js'
import { type Figure, printTable, type Suite } from './harness.js'
import { benchIdentity } from './identity.js'
import { benchPeer } from './peer.js'
import { benchReplay } from './replay.js'
import { benchTasks } from './tasks.js'

/**
 * `npm run bench [-- --json] [suite …]`: Warden's figures next to baselines measured in the same process, so the
 * ratio holds on a noisy machine even when absolute numbers move. Each suite runs in its own process, one after
 * another: no suite's heap, JIT state or background work leaks into the next.
 */
const SUITES: Record<string, () => Promise<Suite>> = {
  identity: benchIdentity,
  tasks: benchTasks,
  decision: benchDecision,
  replay: benchReplay,
  chain: benchChain,
  gateway: benchGateway,
  peer: benchPeer,
  cluster: benchCluster,
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0
}

const args = process.argv.slice(2)
const child = args.indexOf('--child')
if (child >= 0) {
  // In a child: run one suite and hand its result to the parent as one JSON line.
  const suite = await (SUITES[args[child + 1] as string] as () => Promise<Suite>)()
  process.stdout.write(`${JSON.stringify(suite)}\n`)
} else {
  const json = args.includes('--json')
  const only = args.filter((arg) => !arg.startsWith('--'))
  const figures: Record<string, number | string> = {}
  for (const name of Object.keys(SUITES)) {
    if (only.length > 0 && !only.includes(name)) continue
    // The peer suite runs pinned to one core, as the peer's own harness runs it: both sides get the same CPU.
    // `node --cpu-prof …` profiles each suite's process (and, in the gateway suite, `warden serve`) too.
    const profile = process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'))
    const child = [process.execPath, ...profile, fileURLToPath(import.meta.url), '--child', name]
    const pinned = name === 'peer' && hasTaskset() ? ['taskset', '-c', '0', ...child] : child
    const run = spawnSync(pinned[0] as string, pinned.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    })
    const line = run.stdout.trim().split('\n').pop() ?? ''
    if (run.status !== 0 || !line.startsWith('{')) {
      figures[`${name}_error`] = `suite exited with ${run.status ?? run.signal}`
      if (!json) process.stdout.write(`\n## ${name}\n\nfailed: exit ${run.status ?? run.signal}\n`)
      continue
    }
    const suite = JSON.parse(line) as {
      rows: Array<{ figure: Figure; baseline?: Figure }>
      figures: Record<string, number>
    }
    Object.assign(figures, suite.figures)
    if (!json) {
      process.stdout.write(`\n## ${name}\n\n`)
      printTable(suite.rows)
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`)
}
