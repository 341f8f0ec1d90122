/** A lease being issued: its id, task and end. */
export interface LeaseRequest {
  leaseId: string
  task: string
  secret: string
  expiresAt: number
}

/** What a provider hands out: the value for the caller, and a handle to revoke it by (never the value). */
export interface IssuedSecret {
  value: string
  handle: string | null
}

/** A source of ephemeral secrets, one lease per task. */
export interface SecretProvider {
  readonly kind: string
  issue(request: LeaseRequest): Promise<IssuedSecret>
  /** Revokes a lease; must succeed when the lease is already gone. */
  revoke(handle: string | null, request: LeaseRequest): Promise<void>
  /**
   * The value every lease of `secret` holds, where leases share one (a static secret): read only to keep it out
   * of what Warden shows (an approval's arguments), never handed out by it.
   */
  sharedValue?(secret: string): Promise<string | undefined>
}
