import { rules as SECRETLINT_RULES } from '@secretlint/secretlint-rule-preset-recommend'
import { secretValues } from '../chain/index.js'

/**
 * Secrets recognised by what they are, not by who read them: secretlint's recommended rule set (maintained: cloud
 * keys, private keys, database connection strings, basic-auth URLs, GitHub/GitLab/Slack/npm/SendGrid/OpenAI/…
 * tokens), the chain's own redaction shapes (JWTs, bearer tokens), and gitleaks' generic-api-key principle for the
 * rest: a value assigned to a name that says it is a credential (`STRIPE_SECRET_KEY=…`, `"api_token": "…"`),
 * random enough to be one (Shannon entropy ≥ 3.5 bits per character, as gitleaks uses).
 */

interface SecretlintContext {
  report(descriptor: { range: readonly [number, number] }): void
  ignore(): void
  createTranslator(): (id: string) => string
  sharedOptions: Record<string, never>
}
interface SecretlintRule {
  meta: { id: string }
  create(context: SecretlintContext, options: Record<string, never>): { file?: (source: unknown) => unknown }
}

/** The preset's scanners; its comment filter (`secretlint-disable` directives in the text) is not one. */
const SCANNERS = (SECRETLINT_RULES as unknown as SecretlintRule[]).filter(
  (rule) => !rule.meta.id.endsWith('filter-comments'),
)

/**
 * Runs each secretlint scanner over `text` synchronously (the preset's scanners are plain pattern rules; one that
 * needs async work, such as the PKCS#12 check, reports nothing here and is left out).
 */
function secretlintFindings(text: string): string[] {
  const found: string[] = []
  const source = { content: text, filePath: 'output.txt', ext: '.txt', contentType: 'text' }
  for (const rule of SCANNERS) {
    const context: SecretlintContext = {
      report: ({ range }) => {
        found.push(text.slice(range[0], range[1]))
      },
      ignore: () => {},
      createTranslator: () => (id: string) => id,
      sharedOptions: {},
    }
    try {
      const result = rule.create(context, {}).file?.(source)
      if (result instanceof Promise) result.catch(() => {})
    } catch {
      // A scanner that throws on odd input finds nothing in it; the others still run.
    }
  }
  return found
}

/** gitleaks' generic-api-key keywords: a name made of one of these says its value is a credential. */
const CREDENTIAL_NAME =
  /(?<![A-Za-z0-9])(?:[A-Za-z0-9]+[_.-])*(?:access|auth|api|credential|creds|key|passwd|password|pwd|secret|token|dsn|passphrase)(?:[_.-][A-Za-z0-9]+)*(?![A-Za-z0-9])/i
/** `NAME = value`, `NAME: value`, `"name": "value"`: a name, an assignment, a value of 8–200 non-space characters. */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_.-]{1,60})["']?[ \t]{0,3}[:=][ \t]{0,3}["']?([^\s"',;]{8,200})/g

/** Shannon entropy of a string, bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>()
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1)
  let bits = 0
  for (const count of counts.values()) {
    const p = count / value.length
    bits -= p * Math.log2(p)
  }
  return bits
}

function keyedSecrets(text: string): string[] {
  const found: string[] = []
  if (!/[:=]/.test(text)) return found
  for (const match of text.matchAll(ASSIGNMENT)) {
    const [, name = '', value = ''] = match
    if (!CREDENTIAL_NAME.test(name)) continue
    // Not a reference to one (`${NPM_TOKEN}`, `$SECRET`), a path or a plain word: random enough to be a credential.
    if (/^[$%{<]/.test(value) || /^[a-z]+$/i.test(value) || value.includes('/')) continue
    if (entropy(value) >= 3.5) found.push(value)
  }
  return found
}

/**
 * What every secretlint rule needs to find anything: a token of 16 or more key characters with a letter and a
 * digit, a URL with credentials (`://…@`), or a PEM block. Text without any of them is not scanned rule by rule.
 */
const KEY_RUN = /(?<![A-Za-z0-9+/_=.-])[A-Za-z0-9+/_=.-]{16,}/g

function worthScanning(text: string): boolean {
  if (text.includes('-----BEGIN') || /:\/\/[^\s@/]{1,200}@/.test(text)) return true
  for (const [run] of text.matchAll(KEY_RUN)) if (/\d/.test(run) && /[A-Za-z]/.test(run)) return true
  return false
}

/**
 * Texts already scanned and found clean: an agent passes the same values again and again (paths, ids, addresses),
 * and a scan is a pure function of the text. Only clean texts are kept (never a secret in memory longer than its
 * call), bounded in entries and in length.
 */
const clean = new Set<string>()
const CLEAN_MAX = 4_096
const CLEAN_LENGTH = 2_048

/** Each secret in `text`, as written (deduplicated). */
export function secretsIn(text: string): string[] {
  if (text.length < 8 || clean.has(text)) return []
  const found = [...secretValues(text), ...keyedSecrets(text)]
  if (worthScanning(text)) found.push(...secretlintFindings(text))
  if (found.length === 0 && text.length <= CLEAN_LENGTH) {
    if (clean.size >= CLEAN_MAX) clean.delete(clean.values().next().value as string)
    clean.add(text)
  }
  return [...new Set(found)]
}
