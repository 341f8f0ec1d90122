import { instance as vizInstance } from '@viz-js/viz'
import { WardenError } from '../kernel/index.js'
import type { PrivilegeReport } from './privileges.js'
import type { TemplateEffect } from './tier-template.js'

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`

const EFFECT_COLOR: Record<TemplateEffect, string> = {
  allow: '#2e7d32',
  escalate: '#ef6c00',
  deny: '#c62828',
  uncatalogued: '#9e9e9e',
}

/**
 * The delegation graph as Graphviz DOT: an agent per box (name, tier, owner), a solid edge per delegation grant
 * used in the period (labelled with its count), a dashed one per grant unused; each agent's entitlements as
 * tool nodes, the edge coloured by what its own tier's template lets through, dotted when unused.
 */
export function privilegeDot(report: PrivilegeReport): string {
  const lines = [
    'digraph privileges {',
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ]
  const used = new Map<string, number>()
  // Each delegation is the last hop of its path: the hops before it are counted by their own (shorter) paths.
  for (const path of report.usedPaths) {
    const edge = `${path.agents.at(-2)}\u0000${path.agents.at(-1)}`
    used.set(edge, (used.get(edge) ?? 0) + path.delegations)
  }
  const agents = new Set(report.agents.map((a) => a.agent))
  for (const path of report.agents.flatMap((a) => a.paths)) for (const name of path.agents) agents.add(name)
  const shown = report.agents
  for (const a of shown) {
    lines.push(
      `  ${quote(`agent:${a.agent}`)} [shape=box, style="rounded,filled", fillcolor="${a.tier === 'low' ? '#e3f2fd' : a.tier === 'standard' ? '#e8f5e9' : '#fff3e0'}", label=${quote(`${a.agent}\n${a.tier} · ${a.owner}`)}];`,
    )
  }
  for (const name of agents) {
    if (!shown.some((a) => a.agent === name))
      lines.push(`  ${quote(`agent:${name}`)} [shape=box, style=rounded, label=${quote(name)}];`)
  }
  const edges = new Set<string>()
  for (const a of shown) {
    for (const path of a.paths) {
      for (let i = 1; i < path.agents.length; i++) {
        const from = path.agents[i - 1] as string
        const to = path.agents[i] as string
        const id = `${from}\u0000${to}`
        if (edges.has(id)) continue
        edges.add(id)
        const count = used.get(id)
        lines.push(
          `  ${quote(`agent:${from}`)} -> ${quote(`agent:${to}`)} [${count ? `penwidth=2, label=${quote(`delegated ×${count}`)}` : 'style=dashed, label="unused"'}];`,
        )
      }
    }
  }
  const tools = new Set<string>()
  for (const a of shown) {
    for (const e of a.entitlements) {
      if (!tools.has(e.tool)) {
        tools.add(e.tool)
        lines.push(`  ${quote(`tool:${e.tool}`)} [shape=ellipse, label=${quote(e.tool)}];`)
      }
      const label = e.allowed > 0 ? `${e.effect} · used ×${e.allowed}` : `${e.effect} · unused`
      lines.push(
        `  ${quote(`agent:${a.agent}`)} -> ${quote(`tool:${e.tool}`)} [color="${EFFECT_COLOR[e.effect]}", fontcolor="${EFFECT_COLOR[e.effect]}", label=${quote(label)}${e.allowed > 0 ? '' : ', style=dotted'}];`,
      )
    }
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}

let viz: ReturnType<typeof vizInstance> | undefined

/** Renders DOT to SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`). */
export async function renderSvg(dot: string): Promise<string> {
  // One WebAssembly instance per process: compiling it costs more than rendering a graph.
  viz ??= vizInstance()
  const result = (await viz).render(dot, { format: 'svg' })
  if (result.status !== 'success' || result.output === undefined) {
    throw new WardenError('INTERNAL', `graphviz failed: ${result.errors.map((e) => e.message).join('; ')}`)
  }
  return result.output
}
