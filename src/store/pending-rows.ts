// Record rows waiting for the DuckDB store, columnar: (time, series id, value) in typed-array blocks (moved
// to the store's worker without copying), and their writing into a DuckDB appender as data chunks.

import { BIGINT, DOUBLE, INTEGER, DuckDBDataChunk, type DuckDBAppender } from '@duckdb/node-api';

/** Rows per block; a block is 20 bytes per row. */
const BLOCK_ROWS = 16_384;
/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

export interface RowBlock {
  readonly times: Float64Array;
  readonly sids: Int32Array;
  readonly values: Float64Array;
  length: number;
}

function newBlock(): RowBlock {
  return { times: new Float64Array(BLOCK_ROWS), sids: new Int32Array(BLOCK_ROWS), values: new Float64Array(BLOCK_ROWS), length: 0 };
}

/** A FIFO of rows in blocks; `take` hands every queued block to a writer. */
export class PendingRows {
  private blocks: RowBlock[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(time: number, sid: number, value: number): void {
    let b = this.blocks[this.blocks.length - 1];
    if (!b || b.length === BLOCK_ROWS) this.blocks.push((b = newBlock()));
    const i = b.length++;
    b.times[i] = time;
    b.sids[i] = sid;
    b.values[i] = value;
    this.count++;
  }

  /** Removes and returns every queued block, oldest first. */
  take(): RowBlock[] {
    const out = this.blocks;
    this.blocks = [];
    this.count = 0;
    return out;
  }
}

/** Writes blocks as (BIGINT time, INTEGER series, DOUBLE value) rows through an appender (not flushed). */
export class ChunkWriter {
  private readonly chunk = DuckDBDataChunk.create([BIGINT, INTEGER, DOUBLE], CHUNK_ROWS);

  write(appender: DuckDBAppender, b: RowBlock): number {
    const chunk = this.chunk;
    for (let off = 0; off < b.length; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, b.length - off);
      if (chunk.rowCount !== n) chunk.rowCount = n;
      const times = chunk.getColumnVector(0);
      const sids = chunk.getColumnVector(1);
      const values = chunk.getColumnVector(2);
      for (let i = 0; i < n; i++) {
        times.setItem(i, BigInt(b.times[off + i]!));
        sids.setItem(i, b.sids[off + i]!);
        values.setItem(i, b.values[off + i]!);
      }
      times.flush();
      sids.flush();
      values.flush();
      appender.appendDataChunk(chunk);
    }
    return b.length;
  }
}
