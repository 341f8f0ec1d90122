import type { ActivityEventV1 } from '../chain/index.js'
import type { IdSource } from '../kernel/index.js'

/** Ids of this node's appends not yet seen committed, at most (a failed append leaves its id behind). */
const MAX_PENDING = 100_000

/**
 * Tells the records this node appended from those other nodes did, in one chain: an id is noted when the
 * node's chain draws it (before the record exists), its seq once committed — a read of the chain can see a
 * record of this node's before the commit's answer reaches it.
 */
export class OwnRecords {
  private readonly pendingIds = new Set<string>()
  private readonly seqs = new Set<number>()

  /** The id source to give this node's activity chain. */
  chainIds(inner: IdSource): IdSource {
    return {
      id: () => {
        const id = inner.id()
        if (this.pendingIds.size >= MAX_PENDING) this.pendingIds.clear()
        this.pendingIds.add(id)
        return id
      },
      secret: (bytes) => inner.secret(bytes),
    }
  }

  /** To be called with each batch this node's chain commits (`ActivityChain.onAppend`). */
  committed(events: readonly ActivityEventV1[]): void {
    for (const event of events) if (this.pendingIds.delete(event.id)) this.seqs.add(event.seq)
  }

  /** True when this node appended `record`; each record is asked about once (then forgotten). */
  claim(record: Pick<ActivityEventV1, 'id' | 'seq'>): boolean {
    return this.seqs.delete(record.seq) || this.pendingIds.delete(record.id)
  }

  /** Forgets own records up to `seq` that no read will ask about again. */
  passed(seq: number): void {
    for (const own of this.seqs) if (own <= seq) this.seqs.delete(own)
  }
}
