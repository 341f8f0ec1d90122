export type { Change, ChangeFeed, PostgresFeedOptions } from './change-feed.js'
export { PostgresChangeFeed, soleNodeFeed, sqliteFeed } from './change-feed.js'
export { ClusterBehaviour } from './cluster-behaviour.js'
export type { KekSource } from './key-encryption-key.js'
export { KeyEncryptionKey } from './key-encryption-key.js'
export { OwnRecords } from './own-records.js'
export { SharedKeys } from './shared-keys.js'
export {
  CATALOG_TABLES,
  CachedAgentRegistry,
  CachedInstanceRegistry,
  CachedTaskRegistry,
  CachedToolCatalog,
  REVOKING_TABLES,
  StandingCache,
} from './standing-cache.js'
