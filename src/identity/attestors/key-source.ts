import { readFile, stat } from 'node:fs/promises'
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import { WardenError } from '../../kernel/index.js'

/** Where trusted keys for an external issuer live. */
export type KeySourceConfig = { file: string } | { url: string }

/**
 * A jose key resolver for an external issuer: a JWKS file (re-read when it changes, so a rotated bundle is
 * picked up without a restart) or a JWKS URL (fetched and cached by jose). `filter` selects usable keys.
 */
export function createKeySource(
  source: KeySourceConfig,
  filter: (set: JSONWebKeySet) => JSONWebKeySet = (set) => set,
): JWTVerifyGetKey {
  if ('url' in source) return createRemoteJWKSet(new URL(source.url))
  let loadedAt = -1
  let resolver: JWTVerifyGetKey = createLocalJWKSet({ keys: [] })
  return async (header, token) => {
    let mtime: number
    try {
      mtime = (await stat(source.file)).mtimeMs
      if (mtime !== loadedAt) {
        const set = JSON.parse(await readFile(source.file, 'utf8')) as JSONWebKeySet
        resolver = createLocalJWKSet(filter(set))
        loadedAt = mtime
      }
    } catch (cause) {
      throw new WardenError('TOKEN_KEY_UNKNOWN', `cannot load trusted keys from \`${source.file}\``, {
        cause,
      })
    }
    return resolver(header, token)
  }
}
