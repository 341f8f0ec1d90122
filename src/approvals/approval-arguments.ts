import { secretsIn } from '../behaviour/index.js'
import { REDACTED, redact } from '../chain/index.js'

/** A catalog sensitivity label (`public` … `restricted`), or null for a request without a catalogued tool. */
export type ArgumentSensitivity = 'public' | 'internal' | 'confidential' | 'restricted' | null

/** The arguments of a held call as a human may see them, and the JSON pointers of what was hidden. */
export interface ShownArguments {
  arguments: Record<string, unknown>
  redacted: string[]
}

/** Whether argument values may leave Warden in a webhook (to a chat room or a ticketing system). */
export function mayLeaveInWebhook(sensitivity: ArgumentSensitivity): boolean {
  return sensitivity === 'public' || sensitivity === 'internal' || sensitivity === null
}

/**
 * The exact arguments of a call, redacted for the person asked to approve it:
 * - always as the chain redacts them (members with credential names, credential-shaped values), then every
 *   credential `secretsIn` recognises and every value a lease of the task holds, wherever it appears in a string
 *   (an agent that pastes its leased password into a message must not show it to the approver);
 * - for a `restricted` tool, every value (names and structure stay): its data is not shown outside its use.
 * INVARIANT: runs before the arguments are stored, so the store never holds what it hides.
 */
export function showArguments(
  args: Record<string, unknown>,
  sensitivity: ArgumentSensitivity,
  held: readonly string[],
): ShownArguments {
  const chained = redact({ args })
  const redacted = chained.redacted.map((pointer) => pointer.replace(/^\/body\/args/, ''))
  const hidden = [...held].filter((value) => value.length > 0).sort((a, b) => b.length - a.length)
  const walk = (value: unknown, pointer: string): unknown => {
    if (typeof value === 'string') {
      if (value === REDACTED) return value
      if (sensitivity === 'restricted') {
        redacted.push(pointer)
        return REDACTED
      }
      let shown = value
      for (const secret of [...hidden, ...secretsIn(value)]) shown = shown.split(secret).join(REDACTED)
      if (shown !== value) redacted.push(pointer)
      return shown
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      if (sensitivity !== 'restricted') return value
      redacted.push(pointer)
      return REDACTED
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${pointer}/${i}`))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([name, member]) => [
          name,
          walk(member, `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`),
        ]),
      )
    }
    return value
  }
  const shown = walk((chained.body as { args: Record<string, unknown> }).args, '') as Record<string, unknown>
  return { arguments: shown, redacted: [...new Set(redacted)] }
}
