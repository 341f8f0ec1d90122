export type { ComplianceReport, ControlEvidence, ExampleRecord, ItemEvidence } from './compliance.js'
export type { Control, EvidenceKind, Framework, FrameworkItem } from './compliance-map.js'
export { CONTROLS, FRAMEWORK_ITEMS, GAPS, MAPPINGS } from './compliance-map.js'
export type { LiveWarden } from './live-sources.js'
export { liveReportSources } from './live-sources.js'
export { privilegeDot, renderSvg } from './privilege-graph.js'
export type {
  AgentPrivileges,
  Entitlement,
  GrantedPath,
  PrivilegeFindings,
  PrivilegeReport,
  Reach,
  UsedPath,
} from './privileges.js'
export { NARROWING_RULES } from './privileges.js'
export type { Period, ReportChain, ReportSources } from './report-sources.js'
export type {
  ComplianceFormat,
  ComplianceOptions,
  PrivilegeFormat,
  PrivilegeOptions,
  RenderedReport,
} from './reports.js'
export {
  COMPLIANCE_FORMATS,
  complianceReport,
  PRIVILEGE_FORMATS,
  privilegeReport,
  renderCompliance,
  renderPrivileges,
} from './reports.js'
export type { TemplateEffect, TierTemplate } from './tier-template.js'
export { probeTierTemplate } from './tier-template.js'
