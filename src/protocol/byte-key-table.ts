// Open-addressing hash table from raw byte keys (e.g. the `locale,kind,name` bytes of a CSV line) to series
// ids, so repeated keys are recognised straight from the input buffer without allocating strings.

export class ByteKeyTable {
  private slots = new Int32Array(1024);
  private mask = 1023;
  private hashes = new Int32Array(256);
  private starts = new Int32Array(256);
  private lengths = new Int32Array(256);
  private ids = new Int32Array(256);
  private pool = new Uint8Array(16384);
  private poolUsed = 0;
  private count = 0;

  /** FNV-1a offset basis; callers fold each byte in with `h = Math.imul(h ^ byte, 16777619)` while scanning. */
  static readonly SEED = 0x811c9dc5 | 0;

  get size(): number {
    return this.count;
  }

  /** The id stored for bytes buf[start, end) with hash `hash`, or -1. */
  lookup(buf: Uint8Array, start: number, end: number, hash: number): number {
    const len = end - start;
    const mask = this.mask;
    const slots = this.slots;
    let i = hash & mask;
    for (;;) {
      const e = slots[i];
      if (e === 0) return -1;
      const k = e - 1;
      if (this.hashes[k] === hash && this.lengths[k] === len) {
        const pool = this.pool;
        let o = this.starts[k];
        let j = start;
        while (j < end && pool[o] === buf[j]) {
          o++;
          j++;
        }
        if (j === end) return this.ids[k];
      }
      i = (i + 1) & mask;
    }
  }

  /** Stores `id` for bytes buf[start, end) (which must not be present yet). */
  insert(buf: Uint8Array, start: number, end: number, hash: number, id: number): void {
    const len = end - start;
    if (this.count === this.hashes.length) this.growEntries();
    if (this.poolUsed + len > this.pool.length) {
      const bigger = new Uint8Array(Math.max(this.pool.length * 2, this.poolUsed + len));
      bigger.set(this.pool.subarray(0, this.poolUsed));
      this.pool = bigger;
    }
    this.pool.set(buf.subarray(start, end), this.poolUsed);
    const k = this.count++;
    this.hashes[k] = hash;
    this.starts[k] = this.poolUsed;
    this.lengths[k] = len;
    this.ids[k] = id;
    this.poolUsed += len;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(k);
  }

  private place(k: number): void {
    let i = this.hashes[k] & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = k + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let k = 0; k < this.count; k++) this.place(k);
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes);
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
    this.ids = grow(this.ids);
  }
}
