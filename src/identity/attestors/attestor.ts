/** How an instance proved what it is. */
export type AttestMethod = 'join_token' | 'oidc' | 'spiffe_jwt'
export const ATTEST_METHODS: readonly AttestMethod[] = ['join_token', 'oidc', 'spiffe_jwt']

/** What an attestor vouches for: which agent the caller runs as, and on whose word. */
export interface AttestationEvidence {
  readonly agent: string
  /** A stable name for the attested party (e.g. `https://issuer#sub`). */
  readonly subject: string
  /** A code digest vouched for by the evidence itself (e.g. an image digest claim). */
  readonly codeDigest?: string
}

/** Verifies one kind of attestation token; throws a WardenError when it does not hold. */
export interface Attestor {
  readonly method: AttestMethod
  attest(token: string): Promise<AttestationEvidence>
}
