import { policySetTextToParts, policyToJson } from '@cedar-policy/cedar-wasm/nodejs'
import type { PolicySource } from './policy-set.js'

/**
 * A set's policies annotated `@mode("log_only")` leave the set in force: each is replaced, in place, by a policy of
 * the same id that never applies, so every other id (numbered ones included) stays as it was. The set as written
 * becomes the candidate decided beside it, so what a log-only policy would have changed is recorded, never enforced.
 */
export function withoutLogOnly(sources: readonly PolicySource[]): {
  enforced: PolicySource[]
  logOnly: string[]
} {
  const logOnly: string[] = []
  const enforced = sources.map((source) => {
    const parts = policySetTextToParts(source.text)
    if (parts.type !== 'success') return source
    let text = source.text
    let cursor = 0
    for (const [index, policy] of parts.policies.entries()) {
      const json = policyToJson(policy)
      const annotations = json.type === 'success' ? (json.json.annotations ?? {}) : {}
      const offset = text.indexOf(policy, cursor)
      if (annotations.mode !== 'log_only' || offset < 0) {
        if (offset >= 0) cursor = offset + policy.length
        continue
      }
      const id = annotations.id ?? String(index + 1)
      logOnly.push(`${source.file}#${id}`)
      const inert = `@id(${JSON.stringify(id)}) forbid (principal, action, resource) when { false };`
      text = text.slice(0, offset) + inert + text.slice(offset + policy.length)
      cursor = offset + inert.length
    }
    return { file: source.file, text }
  })
  return { enforced, logOnly }
}
