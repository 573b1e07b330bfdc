// Wire format of the parameter-server job: a 17-byte header (type, iteration, payload length, gradient
// bytes requested, compute ms) followed by the payload, and an incremental frame reader.

export const FRAME_HEADER = 17;
export const PARAMS = 1;
export const GRAD = 2;

export interface FrameHeader {
  type: number;
  iter: number;
  payload: number;
  gradBytes: number;
  computeMs: number;
}

/** Largest payload accepted: far above any gradient the testbed sends. */
export const MAX_PAYLOAD = 256 << 20;

export function encodeFrame(h: FrameHeader): Buffer {
  const b = Buffer.alloc(FRAME_HEADER + h.payload);
  b.writeUInt8(h.type, 0);
  b.writeUInt32BE(h.iter, 1);
  b.writeUInt32BE(h.payload, 5);
  b.writeUInt32BE(h.gradBytes, 9);
  b.writeUInt32BE(h.computeMs, 13);
  return b;
}

/** Feeds socket chunks; calls onFrame for every complete frame (payload skipped, only counted). */
export class FrameReader {
  private head = Buffer.alloc(0);
  private remaining = 0;
  private current: FrameHeader | null = null;

  constructor(private readonly label: string, private readonly onFrame: (h: FrameHeader) => void) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.current) {
        const take = Math.min(this.remaining, chunk.length - off);
        this.remaining -= take;
        off += take;
        if (this.remaining === 0) this.complete();
        continue;
      }
      const need = FRAME_HEADER - this.head.length;
      const part = chunk.subarray(off, off + need);
      this.head = Buffer.concat([this.head, part]);
      off += part.length;
      if (this.head.length < FRAME_HEADER) return;
      const h: FrameHeader = {
        type: this.head.readUInt8(0),
        iter: this.head.readUInt32BE(1),
        payload: this.head.readUInt32BE(5),
        gradBytes: this.head.readUInt32BE(9),
        computeMs: this.head.readUInt32BE(13),
      };
      this.head = Buffer.alloc(0);
      if (h.type !== PARAMS && h.type !== GRAD) throw new Error(`${this.label}: frame type ${h.type} unknown`);
      if (h.payload > MAX_PAYLOAD) throw new Error(`${this.label}: frame payload ${h.payload} bytes too large`);
      this.current = h;
      this.remaining = h.payload;
      if (h.payload === 0) this.complete();
    }
  }

  private complete(): void {
    const h = this.current!;
    this.current = null;
    this.onFrame(h);
  }
}
