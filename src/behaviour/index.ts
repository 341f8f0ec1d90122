export { BehaviourEngine } from './behaviour-engine.js'
export { INSTRUCTION_THRESHOLD, instructionScore } from './detectors/instruction-text.js'
export { consequentialValues, detectProvenance } from './detectors/provenance.js'
export type {
  BehaviourAnalyzer,
  BehaviourAssessment,
  BehaviourEvent,
  RequestFacts,
  Severity,
  Signal,
} from './signals.js'
export { noBehaviour } from './signals.js'
export { isWrite, TaskState } from './task-state.js'
export { canonical, canonicalText, embeddedIdentifiers } from './values.js'
