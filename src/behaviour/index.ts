export { AgentBaselines, agentKey, BASELINE_MIN_TASKS } from './agent-baseline.js'
export type { BehaviourEngineOptions, TaskHistory } from './behaviour-engine.js'
export { BehaviourEngine } from './behaviour-engine.js'
export type { ToolLookup } from './chain-history.js'
export { behaviourEventsFrom } from './chain-history.js'
export { detectFlows, isEgress } from './detectors/flows.js'
export { INSTRUCTION_THRESHOLD, instructionScore } from './detectors/instruction-text.js'
export { detectIntentDrift, isRemoval } from './detectors/intent.js'
export { detectNovelty } from './detectors/novelty.js'
export { consequentialValues, detectProvenance } from './detectors/provenance.js'
export type { OutputPrints } from './fingerprints.js'
export { Fingerprinter } from './fingerprints.js'
export { secretsIn } from './secrets.js'
export type {
  BehaviourAnalyzer,
  BehaviourAssessment,
  BehaviourEvent,
  CallTraits,
  RequestFacts,
  Severity,
  Signal,
  TaskIntent,
} from './signals.js'
export { noBehaviour } from './signals.js'
export { isMemory, isSensitiveRead, isWrite, TaskState } from './task-state.js'
export { canonical, canonicalText, embeddedIdentifiers } from './values.js'
