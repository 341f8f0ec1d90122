import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { canonicalJson } from './canonical-json.js'

/** A signed statement that the chain's head was `hash` at `seq`. */
export interface Checkpoint {
  seq: number
  hash: string
  ts: number
  kid: string
  /** Ed25519 signature (base64url) over the canonical JSON of `{ seq, hash, ts }`. */
  signature: string
}

/** The bytes a checkpoint signature covers. */
export function checkpointPayload(cp: Pick<Checkpoint, 'seq' | 'hash' | 'ts'>): Buffer {
  return Buffer.from(canonicalJson({ hash: cp.hash, seq: cp.seq, ts: cp.ts }))
}

/** The deployment's Ed25519 key that signs chain checkpoints. */
export class CheckpointSigner {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly kid: string,
    /** The public key as PEM (SPKI), for `warden chain public-key` and offline verification. */
    readonly publicKeyPem: string,
  ) {}

  /** A new key pair, with its private JWK for storage. */
  static async generate(): Promise<{ signer: CheckpointSigner; privateJwk: JWK }> {
    const { privateKey } = generateKeyPairSync('ed25519')
    const privateJwk = privateKey.export({ format: 'jwk' }) as JWK
    return { signer: await CheckpointSigner.fromJwk(privateJwk), privateJwk }
  }

  /** Loads a stored private JWK. */
  static async fromJwk(privateJwk: JWK): Promise<CheckpointSigner> {
    const privateKey = createPrivateKey({
      key: privateJwk as import('node:crypto').JsonWebKey,
      format: 'jwk',
    })
    const publicKey = createPublicKey(privateKey)
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK
    return new CheckpointSigner(
      privateKey,
      await calculateJwkThumbprint(publicJwk),
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    )
  }

  sign(head: { seq: number; hash: string; ts: number }): Checkpoint {
    const signature = sign(null, checkpointPayload(head), this.privateKey).toString('base64url')
    return { ...head, kid: this.kid, signature }
  }
}

/** True when `cp` is signed by `publicKey` (PEM or KeyObject). */
export function isCheckpointSigned(cp: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointPayload(cp), publicKey, Buffer.from(cp.signature, 'base64url'))
  } catch {
    return false
  }
}

/** Reads a public key given as PEM (SPKI) or as a JWK. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    return createPublicKey({ key: JSON.parse(trimmed) as import('node:crypto').JsonWebKey, format: 'jwk' })
  }
  return createPublicKey(trimmed)
}
