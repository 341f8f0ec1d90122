import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { CompactEncrypt, compactDecrypt } from 'jose'
import { WardenError } from '../kernel/index.js'

/** Where a node finds the deployment's key-encryption key: a file or an environment variable (base64url, 32 bytes). */
export interface KekSource {
  /** A file holding the KEK (base64url or hex of 32 bytes, or 32 raw bytes). */
  file?: string | undefined
  /** The KEK itself, e.g. from `WARDEN_KEK`. */
  value?: string | undefined
  /** The KEK being rotated out (`WARDEN_KEK_PREVIOUS`): still opens what it sealed, which is sealed again. */
  previous?: string | undefined
}

/** One 256-bit KEK and its id (a digest of it: tells which KEK sealed a value without revealing it). */
interface Kek {
  kid: string
  key: Uint8Array
}

function parseKey(text: string, where: string): Uint8Array {
  const trimmed = text.trim()
  const bytes = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64url')
  if (bytes.length !== 32) {
    throw new WardenError(
      'CONFIG_INVALID',
      `the key-encryption key in ${where} must be 32 bytes (base64url or hex)`,
    )
  }
  return new Uint8Array(bytes)
}

function kekOf(key: Uint8Array): Kek {
  return { kid: `kek-${createHash('sha256').update(key).digest('base64url').slice(0, 16)}`, key }
}

/**
 * The deployment's key-encryption key: every node is given the same one, and seals the shared key material it
 * keeps in the store with it (JWE: AES-256 Key Wrap of a fresh AES-256-GCM content key, RFC 7518 §4.4 and §5.3,
 * through jose). The name a value is stored under is in its protected header, so a sealed value moved to
 * another name does not open.
 */
export class KeyEncryptionKey {
  private constructor(
    private readonly current: Kek,
    private readonly previous: Kek | undefined,
  ) {}

  /** Reads the KEK from a file or a value; throws `CONFIG_INVALID` when neither is given or it is malformed. */
  static from(source: KekSource): KeyEncryptionKey {
    let current: Uint8Array
    if (source.value) current = parseKey(source.value, 'WARDEN_KEK')
    else if (source.file) {
      let raw: Buffer
      try {
        raw = readFileSync(source.file)
      } catch (cause) {
        throw new WardenError(
          'CONFIG_INVALID',
          `cannot read the key-encryption key file \`${source.file}\``,
          {
            cause,
          },
        )
      }
      current = raw.length === 32 ? new Uint8Array(raw) : parseKey(raw.toString('utf8'), `\`${source.file}\``)
    } else {
      throw new WardenError(
        'CONFIG_INVALID',
        'nodes sharing a store need a key-encryption key: set `WARDEN_KEK` or `store.keyEncryptionKey.file`',
      )
    }
    const previous = source.previous ? kekOf(parseKey(source.previous, 'WARDEN_KEK_PREVIOUS')) : undefined
    return new KeyEncryptionKey(kekOf(current), previous)
  }

  /** A KEK from raw bytes (tests, benchmarks). */
  static of(key: Uint8Array, previous?: Uint8Array): KeyEncryptionKey {
    return new KeyEncryptionKey(kekOf(key), previous ? kekOf(previous) : undefined)
  }

  /** The current KEK's id. */
  get kid(): string {
    return this.current.kid
  }

  /** Seals `plaintext` stored under `name` with the current KEK. */
  async seal(name: string, plaintext: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', kid: this.current.kid, 'warden.key': name })
      .encrypt(this.current.key)
  }

  /**
   * Opens a value sealed under `name`; `stale` is true when the previous KEK sealed it (seal it again).
   * Throws `STORE_UNAVAILABLE` when no KEK this node holds opens it.
   */
  async open(name: string, sealed: string): Promise<{ plaintext: string; stale: boolean }> {
    for (const kek of [this.current, this.previous]) {
      if (!kek) continue
      try {
        const { plaintext, protectedHeader } = await compactDecrypt(sealed, kek.key, {
          keyManagementAlgorithms: ['A256KW'],
          contentEncryptionAlgorithms: ['A256GCM'],
        })
        if (protectedHeader['warden.key'] !== name) break
        return { plaintext: new TextDecoder().decode(plaintext), stale: kek !== this.current }
      } catch {
        // Another KEK sealed it (or it was tampered with): try the next one.
      }
    }
    throw new WardenError(
      'STORE_UNAVAILABLE',
      `shared key \`${name}\` does not open with this node's key-encryption key (${this.current.kid})`,
    )
  }
}
