import { createHmac, randomBytes } from 'node:crypto'

/** Standard Webhooks' prefix of a signing secret: `whsec_` and the base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_'

/** A new signing secret: 32 random bytes, written as Standard Webhooks writes them (`whsec_<base64>`). */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

/** The key bytes of a `whsec_<base64>` secret. */
export function webhookKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')
}

/** The three headers that sign one delivery attempt. */
export interface WebhookHeaders {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * Signs a delivery as Standard Webhooks specifies: `v1,` and the base64 HMAC-SHA256, under the secret's key
 * bytes, of `id.timestamp.body` (timestamp in whole seconds). The id is the delivery's: the same on every retry,
 * so the receiver can drop a duplicate; the timestamp is the attempt's, so it can refuse a replayed old one.
 * node:crypto computes the HMAC (the reference library's own signer uses a pure-JavaScript SHA-256;
 * docs/decisions/014-i23-webhook-outbox.md).
 */
export function signWebhook(secret: string, id: string, timestampMs: number, body: string): WebhookHeaders {
  const timestamp = String(Math.floor(timestampMs / 1000))
  const mac = createHmac('sha256', webhookKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` }
}
