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
 * Real time plus whatever the test advanced: for tests where a real client signs proofs with the real time
 * (the MCP SDK, the Warden SDK), however slowly the machine runs, and that still cross expiries by hand.
 */
export class ShiftedClock implements Clock {
  private offset = 0

  now(): number {
    return Date.now() + this.offset
  }

  advance(by: string | number): void {
    const delta = typeof by === 'number' ? by : parseDuration(by)
    if (delta === undefined) throw new TypeError(`bad duration ${String(by)}`)
    this.offset += delta
  }
}
