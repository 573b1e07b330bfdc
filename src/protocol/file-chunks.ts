// Raw input of record files as Buffer chunks: regular files through two reused read buffers, pipes and
// standard input (`-`) as they come, and gzip data (recognised by its magic bytes) through a streaming gunzip.

import { open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { RecordFormatError } from './problems.ts';

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Decompressed chunks of a file (or pipe); `onRaw(bytes)` reports raw bytes read so far. Plain input is read
 * into two reused buffers (the next read runs while the consumer parses the current chunk, which it must
 * not keep); gzip input (magic bytes 1f 8b) goes through a streaming gunzip.
 */
export async function* fileChunks(path: string, chunkSize: number, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  try {
    yield* rawFileChunks(path, chunkSize, onRaw);
  } catch (err) {
    if (err instanceof RecordFormatError || !(err instanceof Error) || err.message.includes(path)) throw err;
    throw new Error(`${path}: ${err.message}`, { cause: err });
  }
}

async function* rawFileChunks(path: string, chunkSize: number, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  if (path === '-') {
    yield* streamChunks(path, process.stdin, chunkSize, onRaw);
    return;
  }
  const fh = await open(path, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    let { bytesRead } = await fh.read(buffers[0]!, 0, chunkSize, null);
    let total = bytesRead;
    if (isGzip(buffers[0]!.subarray(0, bytesRead))) {
      const first = Buffer.from(buffers[0]!.subarray(0, bytesRead));
      async function* raw(): AsyncGenerator<Buffer> {
        yield first;
        for (;;) {
          const buf = Buffer.allocUnsafe(chunkSize);
          const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
          if (bytesRead === 0) return;
          total += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
      }
      yield* gunzipChunks(path, raw(), chunkSize, () => onRaw(total));
      return;
    }
    let which = 0;
    while (bytesRead > 0) {
      const current = buffers[which]!.subarray(0, bytesRead);
      which ^= 1;
      const next = fh.read(buffers[which]!, 0, chunkSize, null);
      onRaw(total);
      try {
        yield current;
      } finally {
        ({ bytesRead } = await next);
      }
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Chunks of a stream (standard input), gunzipped when it starts with the gzip magic bytes. */
async function* streamChunks(path: string, stream: NodeJS.ReadableStream, chunkSize: number, onRaw: (bytes: number) => void): AsyncGenerator<Buffer> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let total = 0;
  const first = await it.next();
  if (first.done) return;
  total += first.value.length;
  async function* rest(): AsyncGenerator<Buffer> {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      total += r.value.length;
      yield r.value;
    }
  }
  if (isGzip(first.value)) {
    async function* raw(): AsyncGenerator<Buffer> {
      yield first.value;
      yield* rest();
    }
    yield* gunzipChunks(path, raw(), chunkSize, () => onRaw(total));
    return;
  }
  onRaw(total);
  yield first.value;
  for await (const chunk of rest()) {
    onRaw(total);
    yield chunk;
  }
}

/** The decompressed chunks of gzip data arriving as `raw` chunks; `progress()` after each one. */
async function* gunzipChunks(path: string, raw: AsyncIterable<Buffer>, chunkSize: number, progress: () => void): AsyncGenerator<Buffer> {
  const source = Readable.from(raw, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: Math.max(chunkSize >> 2, 1 << 14) });
  pipeline(source, gunzip, () => {});
  try {
    for await (const chunk of gunzip) {
      progress();
      yield chunk as Buffer;
    }
  } catch (err) {
    throw new RecordFormatError(`${path}: gzip: ${(err as Error).message}`);
  } finally {
    source.destroy();
    await finished(source).catch(() => {});
  }
}

