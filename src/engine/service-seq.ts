// Per-driver batch sequence tracking for the engine service: the highest seq seen plus the seqs still
// missing below it, so a batch redelivered late (a durable bus after a crash) is taken while a true
// duplicate is skipped, and a driver starting over is recognised: by a new boot id, or (drivers that send
// none) by seq 1 after higher seqs. Serialisable for restarts.

export type SeqVerdict = 'new' | 'late' | 'duplicate' | 'restart';

export interface DriverSeqState {
  last: number;
  /** Seqs below `last` not seen yet, ascending. */
  gaps: number[];
  /** The driver's boot id the seqs belong to; null when it sends none. */
  boot: string | null;
}

/** Most missing seqs remembered per driver; older ones are given up (counted). */
export const MAX_GAPS = 10_000;

export class SeqTracker {
  /** Seqs given up because a driver had more than MAX_GAPS missing. */
  gapsGivenUp = 0;
  private readonly drivers = new Map<string, { last: number; gaps: Set<number>; boot: string | null }>();
  private readonly dirty = new Set<string>();

  constructor(saved: ReadonlyMap<string, DriverSeqState> = new Map()) {
    for (const [d, s] of saved) this.drivers.set(d, { last: s.last, gaps: new Set(s.gaps), boot: s.boot });
  }

  /** Classifies a batch (of the driver's boot `boot`, if it sends one) and records it. */
  see(driver: string, seq: number, boot: string | null = null): SeqVerdict {
    let st = this.drivers.get(driver);
    this.dirty.add(driver);
    if (!st) {
      this.drivers.set(driver, { last: seq, gaps: new Set(), boot });
      return 'new';
    }
    if (boot !== null && boot !== st.boot) {
      // A new start of the driver: its seqs begin again; any below this one may still come.
      const gaps = new Set<number>();
      for (let s = Math.max(1, seq - MAX_GAPS); s < seq; s++) gaps.add(s);
      this.drivers.set(driver, { last: seq, gaps, boot });
      return 'restart';
    }
    if (seq > st.last) {
      for (let s = Math.max(st.last + 1, seq - MAX_GAPS); s < seq; s++) st.gaps.add(s);
      this.gapsGivenUp += Math.max(0, seq - st.last - 1 - MAX_GAPS);
      if (st.gaps.size > MAX_GAPS) {
        const sorted = [...st.gaps].sort((a, b) => a - b);
        for (const s of sorted.slice(0, sorted.length - MAX_GAPS)) st.gaps.delete(s);
        this.gapsGivenUp += sorted.length - MAX_GAPS;
      }
      st.last = seq;
      return 'new';
    }
    if (st.gaps.delete(seq)) return 'late';
    if (seq === 1 && boot === null) {
      st = { last: 1, gaps: new Set(), boot: null };
      this.drivers.set(driver, st);
      return 'restart';
    }
    return 'duplicate';
  }

  /** Seqs currently missing over all drivers. */
  get missing(): number {
    let n = 0;
    for (const st of this.drivers.values()) n += st.gaps.size;
    return n;
  }

  /** States changed since the last call (for persistence). */
  takeDirty(): Map<string, DriverSeqState> {
    const out = new Map<string, DriverSeqState>();
    for (const d of this.dirty) {
      const st = this.drivers.get(d)!;
      out.set(d, { last: st.last, gaps: [...st.gaps].sort((a, b) => a - b), boot: st.boot });
    }
    this.dirty.clear();
    return out;
  }
}
