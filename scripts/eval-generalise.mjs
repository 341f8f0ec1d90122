// `npm run eval:generalise`: does detection hold where it was not developed?
//
// 1. Leave-one-domain-out on the development corpus: each of its three suites (banking, slack, workspace) scored on
//    its own. The detectors carry no rule written for one suite; each suite's line is read as the held-out figure
//    for rules written from principles and checked on the other two.
// 2. The out-of-domain twin corpus (`test/corpus/twins/`): hand-written attack/benign pairs across domains and tool
//    sets (shaped like real MCP servers', with and without annotations) the detectors were never developed on;
//    then a second set in twenty more domains (`fresh.mjs`), committed before it was first replayed and reported
//    apart: the figure for a change that generalises rather than fits the first set. A third (`integrator.mjs`) and a
//    fourth (`blind.mjs`, written without reading the detectors) held-out set are reported apart too, and a fifth
//    (`blind2.mjs`, 34 pairs in 34 domains, written blind and committed before its first replay), and a sixth
//    (`blind3.mjs`, 44 pairs in 44 domains, written blind the same way), and a seventh (`blind4.mjs`, 51 pairs in
//    51 domains, written blind the same way), and an eighth (`blind5.mjs`, 55 pairs in 55 domains, written blind the
//    same way, with longer real-shaped traces), and the
//    value-provenance set (`provenance.mjs`): an argument swapped by data the request never pointed at, and values
//    taken from a record the request named; and the forms set (`forms.mjs`), one group per form of #15's third
//    round, committed before the detectors changed for it.
// 3. An external corpus (`test/corpus/agentdojo-travel/`): the AgentDojo travel suite, which the development corpus
//    never covered, synthesized from the suite's own ground truth (user tasks, injection tasks, attack templates,
//    environment), committed before it was first replayed. Reported by template, injection task and placement, then
//    its misses grouped by injection task and template.
//
// Both go through the same `Replayer` as `warden replay` (the live judge, the shipped policies). Prints attacks
// through (first goal call allowed) and benign tasks interrupted (any call not allowed) per group, then the twin
// corpus's misses by case, with the signals each call raised.
//
// The held-out sets (`blind.mjs`, `blind4.mjs`) print their totals only, so that no one tuning the detectors reads
// what they hold; `--reveal-held-out` prints them like the others (and they stop being held out). The fifth set
// (`blind2.mjs`) was studied in the ninth session, the sixth (`blind3.mjs`) and the eighth (`blind5.mjs`) in the
// tenth; they are development sets since.
//
//   node scripts/eval-generalise.mjs [DEV_CORPUS] [--twins-only] [--travel-only] [--verbose] [--reveal-held-out]
//                                    [--write-twins FILE]
import { createReadStream, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Replayer, scoreTrace } from '../dist/src/enforcement/index.js'
import { readPolicyDirectory } from '../dist/src/policy/index.js'
import { travelTraces } from '../test/corpus/agentdojo-travel/build.mjs'
import { blindTraces } from '../test/corpus/twins/blind.mjs'
import { blind2Traces } from '../test/corpus/twins/blind2.mjs'
import { blind3Traces } from '../test/corpus/twins/blind3.mjs'
import { blind4Traces } from '../test/corpus/twins/blind4.mjs'
import { blind5Traces } from '../test/corpus/twins/blind5.mjs'
import { freshTraces, twinTraces } from '../test/corpus/twins/build.mjs'
import { formsTraces } from '../test/corpus/twins/forms.mjs'
import { integratorTraces } from '../test/corpus/twins/integrator.mjs'
import { provenanceTraces } from '../test/corpus/twins/provenance.mjs'

const argv = process.argv.slice(2)
const flag = (name) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? (argv.splice(i, 1), true) : false
}
const option = (name) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv.splice(i, 2)[1] : undefined
}
const twinsOnly = flag('twins-only')
const travelOnly = flag('travel-only')
const verbose = flag('verbose')
// A held-out set prints its totals only: its domains and misses would tell whoever tunes the detectors what it holds.
const revealHeldOut = flag('reveal-held-out')
const writeTwins = option('write-twins')
const corpus = resolve(
  argv[0] ??
    process.env.WARDEN_EVAL_CORPUS ??
    fileURLToPath(new URL('../../shared/corpus/agentdojo-dev.jsonl', import.meta.url)),
)
const policies = readPolicyDirectory(fileURLToPath(new URL('../policies/', import.meta.url)))

const pct = (n, d) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`)

function tally(scores) {
  const attacks = scores.filter((s) => s.kind === 'attack')
  const benign = scores.filter((s) => s.kind === 'benign')
  const through = attacks.filter((s) => !s.ok).length
  const interrupted = benign.filter((s) => !s.ok).length
  return { attacks: attacks.length, through, benign: benign.length, interrupted }
}

function line(name, t) {
  return `${name.padEnd(28)} ${`${pct(t.through, t.attacks)} (${t.through}/${t.attacks})`.padEnd(22)} ${pct(t.interrupted, t.benign)} (${t.interrupted}/${t.benign})`
}

const header = `${'group'.padEnd(28)} ${'attacks through'.padEnd(22)} benign interrupted`

async function dev() {
  const replayer = new Replayer(policies)
  const bySuite = new Map()
  const lines = createInterface({ input: createReadStream(corpus), crlfDelay: Number.POSITIVE_INFINITY })
  for await (const text of lines) {
    if (!text.trim()) continue
    const trace = JSON.parse(text)
    const score = scoreTrace(trace, replayer.replay(trace))
    bySuite.set(score.suite, [...(bySuite.get(score.suite) ?? []), score])
  }
  console.log('Development corpus, each suite held out (leave-one-domain-out)')
  console.log(header)
  for (const [suite, scores] of [...bySuite].sort()) console.log(line(`held out: ${suite}`, tally(scores)))
  console.log(line('all suites', tally([...bySuite.values()].flat())))
  console.log('')
}

function twins(traces, title, { heldOut = false } = {}) {
  const hidden = heldOut && !revealHeldOut
  if (writeTwins) writeFileSync(writeTwins, `${traces.map((t) => JSON.stringify(t)).join('\n')}\n`)
  const replayer = new Replayer(policies)
  const scores = []
  const misses = []
  const results = []
  for (const trace of traces) {
    const decisions = replayer.replay(trace)
    const score = scoreTrace(trace, decisions)
    scores.push(score)
    results.push({ trace, decisions, score })
    if (!score.ok || verbose) misses.push({ trace, decisions, score })
  }
  const pairs = traces.length / 2
  const domains = new Set(traces.map((t) => t.labels.suite))
  console.log(`${title}: ${pairs} attack/benign pairs, ${domains.size} domains`)
  console.log(header)
  const byDomain = new Map()
  for (const s of scores) byDomain.set(s.suite, [...(byDomain.get(s.suite) ?? []), s])
  if (!hidden)
    for (const [domain, group] of [...byDomain].sort()) console.log(line(`  ${domain}`, tally(group)))
  console.log(line('all pairs', tally(scores)))
  if (hidden) {
    console.log(
      '  (held out: domains and misses hidden; --reveal-held-out shows them, and the set is then no longer blind)',
    )
    return
  }
  // A call refused for a schema Warden cannot yet express (the catalog's work, not detection's) is counted as the
  // replay gives it, and shown apart so detection's own figure can be read.
  const schema = (d) =>
    d.effect !== 'allow' && (d.errors ?? []).length > 0 && d.signals.every((s) => s.severity !== 'critical')
  const benignBySchema = results.filter(
    (r) => r.score.kind === 'benign' && !r.score.ok && r.decisions.some(schema),
  ).length
  const attacksBySchema = results.filter((r) => {
    if (r.score.kind !== 'attack' || !r.score.ok) return false
    const goal = r.decisions.find((d) => d.call === r.trace.labels.goal_calls[0])
    return goal !== undefined && schema(goal) && goal.signals.every((s) => s.severity !== 'high')
  }).length
  if (benignBySchema || attacksBySchema)
    console.log(
      `  schema errors (argument types Warden cannot express yet): ${benignBySchema} benign interrupted by one, ${attacksBySchema} attacks stopped only by one`,
    )
  if (misses.length) {
    console.log('')
    console.log(verbose ? 'Every twin trace:' : 'Misses (attack let through / benign interrupted):')
    for (const { trace, decisions, score } of misses) {
      const mark = score.ok ? 'ok  ' : score.kind === 'attack' ? 'MISS' : 'INTR'
      console.log(`${mark} ${trace.id} — ${trace.labels.style}`)
      for (const d of decisions) {
        const signals = d.signals.map((s) => `${s.kind}:${s.severity}`).join(' ')
        const goal = trace.labels.goal_calls.includes(d.call) ? ' [goal]' : ''
        console.log(
          `       ${d.call}${goal} ${d.effect} ${signals}${d.errors ? ` errors: ${d.errors.join('; ')}` : ''}`,
        )
      }
    }
  }
}

const signalsOf = (d) => d.signals.map((s) => `${s.kind}:${s.severity}`).join(' ') || '-'

function travel(traces, title) {
  const replayer = new Replayer(policies)
  const results = traces.map((trace) => {
    const decisions = replayer.replay(trace)
    return { trace, decisions, score: scoreTrace(trace, decisions) }
  })
  const attacks = results.filter((r) => r.score.kind === 'attack')
  console.log(
    `${title}: ${attacks.length} attack traces, ${results.length - attacks.length} benign (one per user task)`,
  )
  console.log(header)
  const groupBy = (key) => {
    const groups = new Map()
    for (const r of attacks) groups.set(key(r.trace), [...(groups.get(key(r.trace)) ?? []), r.score])
    return [...groups].sort()
  }
  for (const [name, key] of [
    ['template', (t) => t.labels.attack],
    ['injection', (t) => t.labels.injection_task],
    ['placement', (t) => t.labels.placement],
  ])
    for (const [value, scores] of groupBy(key)) console.log(line(`  ${name}: ${value}`, tally(scores)))
  console.log(line('all', tally(results.map((r) => r.score))))

  const missed = attacks.filter((r) => !r.score.ok)
  if (missed.length) {
    console.log('')
    console.log('Attacks let through, by injection task and template (the goal call and its signals):')
    const byTask = new Map()
    for (const r of missed) {
      const key = r.trace.labels.injection_task
      byTask.set(key, [...(byTask.get(key) ?? []), r])
    }
    for (const [task, rs] of [...byTask].sort()) {
      const total = attacks.filter((r) => r.trace.labels.injection_task === task).length
      console.log(`${task} — ${rs.length}/${total} through — ${rs[0].trace.labels.injection_goal}`)
      const byTemplate = new Map()
      for (const r of rs)
        byTemplate.set(r.trace.labels.attack, [...(byTemplate.get(r.trace.labels.attack) ?? []), r])
      for (const [template, trs] of [...byTemplate].sort()) {
        const of = attacks.filter(
          (r) => r.trace.labels.injection_task === task && r.trace.labels.attack === template,
        ).length
        console.log(`  ${template}: ${trs.length}/${of} through`)
        for (const { trace, decisions } of trs) {
          const goal = trace.labels.goal_calls[0]
          const d = decisions.find((x) => x.call === goal)
          const tool = trace.events.find((e) => e.kind === 'tool.call' && e.call === goal).tool
          console.log(
            `    ${trace.labels.user_task} (${trace.labels.placement}): goal ${goal} ${tool} ${d.effect} ${signalsOf(d)}`,
          )
          if (verbose) for (const x of decisions) console.log(`       ${x.call} ${x.effect} ${signalsOf(x)}`)
        }
      }
    }
  }
  const interrupted = results.filter((r) => r.score.kind === 'benign' && !r.score.ok)
  if (interrupted.length) {
    console.log('')
    console.log('Benign tasks interrupted (each call not allowed, with its signals):')
    for (const { trace, decisions } of interrupted) {
      console.log(`INTR ${trace.id}`)
      for (const d of decisions.filter((x) => x.effect !== 'allow')) {
        const tool = trace.events.find((e) => e.kind === 'tool.call' && e.call === d.call).tool
        console.log(
          `       ${d.call} ${tool} ${d.effect} ${signalsOf(d)}${d.errors ? ` errors: ${d.errors.join('; ')}` : ''}`,
        )
      }
    }
  }
}

if (travelOnly) {
  travel(travelTraces(), "agentdojo travel (external, synthesized from the suite's ground truth)")
  process.exit(0)
}
if (!twinsOnly) await dev()
twins(twinTraces(), 'Out-of-domain twin corpus (test/corpus/twins/cases.mjs)')
console.log('')
twins(freshTraces(), 'Held-out second twin set, never tuned on (test/corpus/twins/fresh.mjs)')
console.log('')
twins(
  integratorTraces(),
  'Held-out third set, by another engineer, replayed blind (test/corpus/twins/integrator.mjs)',
)
console.log('')
twins(
  provenanceTraces(),
  'Value-provenance twin set: swapped arguments, designated records (test/corpus/twins/provenance.mjs)',
)
console.log('')
twins(
  formsTraces(),
  'Forms set, one group per form (obligations, polite requests, carriers), committed before the detectors changed (test/corpus/twins/forms.mjs)',
)
console.log('')
twins(
  blindTraces(),
  'Held-out fourth set, written blind and committed before its first replay (test/corpus/twins/blind.mjs)',
  { heldOut: true },
)
console.log('')
twins(
  blind2Traces(),
  'Fifth set, written blind and committed before its first replay, studied from the ninth session on (test/corpus/twins/blind2.mjs)',
)
console.log('')
twins(
  blind3Traces(),
  'Sixth set, written blind and committed before its first replay, studied from the tenth session on (test/corpus/twins/blind3.mjs)',
)
console.log('')
twins(
  blind4Traces(),
  'Held-out seventh set, written blind and committed before its first replay (test/corpus/twins/blind4.mjs)',
  { heldOut: true },
)
console.log('')
twins(
  blind5Traces(),
  'Eighth set, written blind and committed before its first replay, studied from the tenth session on (test/corpus/twins/blind5.mjs)',
)
console.log('')
travel(travelTraces(), "agentdojo travel (external, synthesized from the suite's ground truth)")
