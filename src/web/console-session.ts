import { randomBytes } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'
import { OPERATOR_ROLES, type OperatorRole } from '../config/index.js'
import type { Clock } from '../kernel/index.js'
import type { Store } from '../store/index.js'

/**
 * Who is signed in to the console: an operator (the admin token's `admin`, a named operator, or one signed in by
 * the identity provider), who sees everything and acts as their roles allow; or an owner, who sees and acts on
 * their own agents only.
 */
export type ConsoleViewer =
  | {
      kind: 'operator'
      name: string
      roles: readonly OperatorRole[]
      source: 'admin-token' | 'token' | 'oidc'
      /** When the credential it signed in with stops being valid (an OIDC token's `exp`). */
      expiresAt?: number
    }
  | { kind: 'owner'; owner: string }

const SOURCES = ['admin-token', 'token', 'oidc'] as const

/** A signed-in console session: the viewer and the token its forms must carry (CSRF). */
export interface ConsoleSession {
  viewer: ConsoleViewer
  csrf: string
  expiresAt: number
}

const AUDIENCE = 'warden-console'
/** A session lasts a working day; signing in again is one paste of a token. */
export const SESSION_TTL_MS = 8 * 3_600_000

/**
 * Console sessions as a signed cookie (HS256 through jose), so any Warden node on the same store accepts it. The
 * key is 32 random bytes created once per deployment in the store's settings (the first node to start makes it;
 * the others read it).
 */
export class ConsoleSessions {
  private key: Uint8Array | undefined

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private async signingKey(): Promise<Uint8Array> {
    if (this.key) return this.key
    const read = () =>
      this.store.get<{ value: string }>(`SELECT value FROM settings WHERE key = 'console_session_key'`)
    let row = await read()
    if (!row) {
      await this.store.run(
        `INSERT INTO settings (key, value) VALUES ('console_session_key', ?) ON CONFLICT (key) DO NOTHING`,
        [randomBytes(32).toString('hex')],
      )
      row = await read()
    }
    if (!row) throw new Error('the console session key could not be stored')
    this.key = Buffer.from(row.value, 'hex')
    return this.key
  }

  /** A new session for `viewer`, as the cookie value to set; it ends no later than the viewer's credential. */
  async open(viewer: ConsoleViewer): Promise<{ cookie: string; session: ConsoleSession }> {
    const now = this.clock.now()
    const session: ConsoleSession = {
      viewer,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: Math.min(
        now + SESSION_TTL_MS,
        viewer.kind === 'operator'
          ? (viewer.expiresAt ?? Number.POSITIVE_INFINITY)
          : Number.POSITIVE_INFINITY,
      ),
    }
    const cookie = await new SignJWT({
      kind: viewer.kind,
      ...(viewer.kind === 'owner'
        ? { owner: viewer.owner }
        : { name: viewer.name, roles: viewer.roles, source: viewer.source }),
      csrf: session.csrf,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'warden-console+jwt' })
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(session.expiresAt / 1000))
      .sign(await this.signingKey())
    return { cookie, session }
  }

  /** The session a cookie value carries, or undefined when it is missing, forged or expired. */
  async read(cookie: string | undefined): Promise<ConsoleSession | undefined> {
    if (!cookie) return undefined
    try {
      const { payload } = await jwtVerify(cookie, await this.signingKey(), {
        algorithms: ['HS256'],
        typ: 'warden-console+jwt',
        audience: AUDIENCE,
        currentDate: new Date(this.clock.now()),
      })
      const csrf = payload.csrf
      if (typeof csrf !== 'string' || typeof payload.exp !== 'number') return undefined
      const viewer = viewerOf(payload)
      return viewer ? { viewer, csrf, expiresAt: payload.exp * 1000 } : undefined
    } catch {
      return undefined
    }
  }
}

/** The viewer a verified session payload names, if it is well formed. */
function viewerOf(payload: Record<string, unknown>): ConsoleViewer | undefined {
  if (payload.kind === 'owner')
    return typeof payload.owner === 'string' ? { kind: 'owner', owner: payload.owner } : undefined
  const { name, roles, source } = payload
  if (
    payload.kind !== 'operator' ||
    typeof name !== 'string' ||
    !Array.isArray(roles) ||
    !roles.every((role) => OPERATOR_ROLES.includes(role)) ||
    !SOURCES.includes(source as (typeof SOURCES)[number])
  )
    return undefined
  return {
    kind: 'operator',
    name,
    roles,
    source: source as (typeof SOURCES)[number],
    ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
  }
}
