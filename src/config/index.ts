export { configJsonSchema } from './json-schema.js'
export type { ConfigFlags } from './load-config.js'
export { describeIssues, loadConfig } from './load-config.js'
export type {
  ClaimRule,
  Config,
  ConfigInput,
  FederationConfig,
  OidcIssuerConfig,
  OperatorOidcConfig,
  OperatorRole,
  SecretConfig,
  UpstreamConfig,
} from './schema.js'
export { configSchema, OPERATOR_ROLES } from './schema.js'
