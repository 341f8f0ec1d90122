import { benchChain } from './chain.js'
import { benchDecision } from './decision.js'
import { benchGateway } from './gateway.js'
import { printTable, type Suite } from './harness.js'
import { benchIdentity } from './identity.js'
import { benchReplay } from './replay.js'
import { benchTasks } from './tasks.js'

/**
 * `npm run bench [-- --json]`: Warden's figures next to baselines measured in the same process, so the ratio
 * holds on a noisy machine even when absolute numbers move. Suites run one after another.
 */
const SUITES: Record<string, () => Promise<Suite>> = {
  identity: benchIdentity,
  tasks: benchTasks,
  decision: benchDecision,
  replay: benchReplay,
  chain: benchChain,
  gateway: benchGateway,
}

const json = process.argv.includes('--json')
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
const figures: Record<string, number> = {}
for (const [name, run] of Object.entries(SUITES)) {
  if (only.length > 0 && !only.includes(name)) continue
  const suite = await run()
  Object.assign(figures, suite.figures)
  if (!json) {
    process.stdout.write(`\n## ${name}\n\n`)
    printTable(suite.rows)
  }
}
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`)
