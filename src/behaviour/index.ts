export type { BehaviourAnalyzer, BehaviourAssessment, RequestFacts, Severity, Signal } from './signals.js'
export { noBehaviour } from './signals.js'
