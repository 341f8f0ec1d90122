import { WardenError } from '../kernel/index.js'
import { buildComplianceReport, type ComplianceReport } from './compliance.js'
import { privilegeDot, renderSvg } from './privilege-graph.js'
import { analysePrivileges, type PrivilegeReport } from './privileges.js'
import { complianceHtml, privilegesHtml } from './render-html.js'
import { complianceMarkdown, privilegesMarkdown } from './render-markdown.js'
import { type Period, type ReportSources, readPeriod } from './report-sources.js'

export const PRIVILEGE_FORMATS = ['md', 'html', 'json', 'dot'] as const
export type PrivilegeFormat = (typeof PRIVILEGE_FORMATS)[number]
export const COMPLIANCE_FORMATS = ['md', 'html', 'json'] as const
export type ComplianceFormat = (typeof COMPLIANCE_FORMATS)[number]

/** A rendered report: its text and the media type it is served as. */
export interface RenderedReport {
  contentType: string
  body: string
}

export interface PrivilegeOptions {
  period: Period
  agent?: string | undefined
  owner?: string | undefined
  /** Delegation paths reviewed as a whole, root first. */
  reviewed?: ReadonlyArray<readonly string[]> | undefined
}

/** Builds the effective-privilege report from the sources. */
export async function privilegeReport(
  sources: ReportSources,
  options: PrivilegeOptions,
): Promise<PrivilegeReport> {
  const [agents, tools] = await Promise.all([sources.agents(), sources.tools()])
  if (options.agent !== undefined && !agents.some((a) => a.name === options.agent)) {
    throw new WardenError('AGENT_NOT_FOUND', `no agent \`${options.agent}\``)
  }
  return analysePrivileges({
    agents,
    template: sources.template(tools),
    maxDelegationDepth: sources.maxDelegationDepth,
    period: await readPeriod(sources.chain, options.period),
    reviewed: options.reviewed,
    agent: options.agent,
    owner: options.owner,
    now: sources.now(),
  })
}

/** Renders the effective-privilege report; HTML embeds the graph as SVG (Graphviz in WebAssembly). */
export async function renderPrivileges(
  report: PrivilegeReport,
  format: PrivilegeFormat,
): Promise<RenderedReport> {
  switch (format) {
    case 'json':
      return { contentType: 'application/json', body: `${JSON.stringify(report, null, 2)}\n` }
    case 'dot':
      return { contentType: 'text/vnd.graphviz', body: privilegeDot(report) }
    case 'md':
      return { contentType: 'text/markdown; charset=utf-8', body: privilegesMarkdown(report) }
    case 'html':
      return {
        contentType: 'text/html; charset=utf-8',
        body: privilegesHtml(report, await renderSvg(privilegeDot(report))),
      }
  }
}

export interface ComplianceOptions {
  period: Period
  /** Only the evidence about this owner's agents. */
  owner?: string | undefined
}

/** Builds the compliance report from the sources. */
export async function complianceReport(
  sources: ReportSources,
  options: ComplianceOptions,
): Promise<ComplianceReport> {
  const owned =
    options.owner === undefined
      ? undefined
      : {
          owner: options.owner,
          names: new Set(
            (await sources.agents()).filter((a) => a.owner === options.owner).map((a) => a.name),
          ),
        }
  return buildComplianceReport({
    period: await readPeriod(sources.chain, options.period),
    chain: sources.chain,
    publicKey: sources.publicKey,
    agents: owned,
    now: sources.now(),
  })
}

/** Renders the compliance report. */
export function renderCompliance(report: ComplianceReport, format: ComplianceFormat): RenderedReport {
  switch (format) {
    case 'json':
      return { contentType: 'application/json', body: `${JSON.stringify(report, null, 2)}\n` }
    case 'md':
      return { contentType: 'text/markdown; charset=utf-8', body: complianceMarkdown(report) }
    case 'html':
      return { contentType: 'text/html; charset=utf-8', body: complianceHtml(report) }
  }
}
