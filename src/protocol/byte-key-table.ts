// Open-addressing hash table from raw byte keys (e.g. the `locale,kind,name` bytes of a CSV line) to series
// ids, so repeated keys are recognised straight from the input buffer without allocating strings. A slot
// holds the hash, the key's place in a byte pool, its length and the id side by side (one cache line).

const SLOT = 4; // hash, pool offset, length, id

export class ByteKeyTable {
  /** FNV-1a offset basis; callers fold each byte in with `h = Math.imul(h ^ byte, 16777619)` while scanning. */
  static readonly SEED = 0x811c9dc5 | 0;

  /** Slots of SLOT int32s; a length of -1 marks an empty slot. */
  private slots = new Int32Array(1024 * SLOT).fill(-1);
  private mask = 1023;
  private pool = new Uint8Array(16384);
  private poolUsed = 0;
  private count = 0;

  /** The id stored for bytes buf[start, end) with hash `hash`, or -1. */
  lookup(buf: Uint8Array, start: number, end: number, hash: number): number {
    const len = end - start;
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const s = i * SLOT;
      const slotLen = slots[s + 2];
      if (slotLen < 0) return -1;
      if (slots[s] === hash && slotLen === len) {
        const pool = this.pool;
        let o = slots[s + 1];
        let j = start;
        while (j < end && pool[o] === buf[j]) {
          o++;
          j++;
        }
        if (j === end) return slots[s + 3];
      }
      i = (i + 1) & mask;
    }
  }

  /** Stores `id` for bytes buf[start, end) (which must not be present yet). */
  insert(buf: Uint8Array, start: number, end: number, hash: number, id: number): void {
    const len = end - start;
    if (this.poolUsed + len > this.pool.length) {
      const bigger = new Uint8Array(Math.max(this.pool.length * 2, this.poolUsed + len));
      bigger.set(this.pool.subarray(0, this.poolUsed));
      this.pool = bigger;
    }
    this.pool.set(buf.subarray(start, end), this.poolUsed);
    this.place(hash, this.poolUsed, len, id);
    this.poolUsed += len;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.rehash();
  }

  private place(hash: number, offset: number, len: number, id: number): void {
    let i = hash & this.mask;
    while (this.slots[i * SLOT + 2] >= 0) i = (i + 1) & this.mask;
    const s = i * SLOT;
    this.slots[s] = hash;
    this.slots[s + 1] = offset;
    this.slots[s + 2] = len;
    this.slots[s + 3] = id;
  }

  private rehash(): void {
    const old = this.slots;
    const size = (this.mask + 1) * 2;
    this.slots = new Int32Array(size * SLOT).fill(-1);
    this.mask = size - 1;
    for (let s = 0; s < old.length; s += SLOT) if (old[s + 2] >= 0) this.place(old[s], old[s + 1], old[s + 2], old[s + 3]);
  }
}
