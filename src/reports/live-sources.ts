import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { CatalogTool } from '../catalog/index.js'
import { parsePublicKey } from '../chain/index.js'
import type { Agent } from '../identity/index.js'
import type { Clock } from '../kernel/index.js'
import type { PolicyEngine } from '../policy/index.js'
import type { ReportChain, ReportSources } from './report-sources.js'
import { probeTierTemplate } from './tier-template.js'

/** The parts of a running Warden the reports read (the composed `Warden` has them all). */
export interface LiveWarden {
  readonly config: { readonly dataDir: string; readonly tasks: { readonly maxDelegationDepth: number } }
  readonly identity: { readonly agents: { list(): Promise<Agent[]> } }
  readonly catalog: { list(): Promise<CatalogTool[]> }
  readonly policy: { readonly engine: PolicyEngine }
  readonly chain: ReportChain
  readonly clock: Clock
}

/**
 * Report sources over a running Warden (the API and the console): the registry, the catalog probed against the
 * engine in force (which already types every catalogued tool), and the chain with the data directory's public key.
 */
export function liveReportSources(warden: LiveWarden): ReportSources {
  const keyFile = join(resolve(warden.config.dataDir), 'keys', 'chain-public.pem')
  const pem = existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : undefined
  return {
    agents: () => warden.identity.agents.list(),
    tools: () => warden.catalog.list(),
    template: (tools) => probeTierTemplate(warden.policy.engine, tools, warden.clock.now()),
    maxDelegationDepth: warden.config.tasks.maxDelegationDepth,
    chain: warden.chain,
    publicKey: pem ? { key: parsePublicKey(pem), pem } : undefined,
    now: () => warden.clock.now(),
  }
}
