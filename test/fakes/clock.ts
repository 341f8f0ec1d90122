import { type Clock, parseDuration } from '../../src/kernel/index.js'

/** A clock tests move by hand: `clock.advance('5m')` crosses an expiry without sleeping. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2026, 10, 29, 12, 0, 0)) {}

  now(): number {
    return this.ms
  }

  advance(by: string | number): void {
    const delta = typeof by === 'number' ? by : parseDuration(by)
    if (delta === undefined) throw new TypeError(`bad duration ${String(by)}`)
    this.ms += delta
  }
}

/**
 * A clock that follows the real time, for tests where the SDK agent signs DPoP proofs with the real time: a
 * frozen clock fails their `iat` check once a slow run outlasts the allowed skew.
 */
export class WallClock extends FakeClock {
  override now(): number {
    return Date.now()
  }
}
