import { createHash } from 'node:crypto'
import { redact } from './redact.js'

/** How a tool output enters the chain: never whole, only its digest, size, labels and a masked excerpt. */
export interface OutputSummary {
  digest: string
  size: number
  labels: string[]
  excerpt?: string
}

/**
 * Summarises a tool output for the chain: SHA-256 digest and byte size of the full text, the given labels,
 * and (when `excerptChars` > 0) a prefix with credential-like values masked.
 */
export function summarizeOutput(
  text: string,
  labels: readonly string[] = [],
  excerptChars = 0,
): OutputSummary {
  const bytes = Buffer.from(text, 'utf8')
  const summary: OutputSummary = {
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
    labels: [...labels],
  }
  if (excerptChars > 0) {
    const words = text.slice(0, excerptChars).split(/(\s+)/)
    summary.excerpt = words
      .map((word) => (redact({ w: word }).redacted.length > 0 ? '[redacted]' : word))
      .join('')
  }
  return summary
}
