// The store's worker thread: owns the DuckDB file (duckdb-file.ts) so appends, commits and checkpoints
// never run on the engine's event loop. Requests from duckdb-store.ts are handled one at a time, in order.

import { parentPort, workerData } from 'node:worker_threads';
import { DuckdbFile } from './duckdb-file.ts';
import type { StoreReply, StoreRequest } from './store-protocol.ts';

if (!parentPort) throw new Error('src/store/store-worker.ts runs only as a worker thread (see duckdb-store.ts)');
const port = parentPort;

let file: DuckdbFile;
try {
  file = await DuckdbFile.open((workerData as { path: string }).path);
  port.postMessage({ id: 0, ok: true, value: file.series } satisfies StoreReply);
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: (err as Error).message } satisfies StoreReply);
  port.close();
}

async function handle(req: StoreRequest): Promise<unknown> {
  switch (req.op) {
    case 'write':
      return file.write(req.write);
    case 'saveSignatures':
      return file.saveSignatures(req.generation, req.learnedAt, req.doc);
    case 'query':
      return file.query(req.sql);
    case 'exportParquet':
      return file.exportParquet(req.dir);
    case 'close':
      file.close();
      return null;
  }
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (req: StoreRequest) => {
  chain = chain.then(async () => {
    let reply: StoreReply;
    try {
      reply = { id: req.id, ok: true, value: await handle(req), retained: file.retained };
    } catch (err) {
      reply = { id: req.id, ok: false, error: (err as Error).message, retained: file.retained };
    }
    port.postMessage(reply);
    if (req.op === 'close') port.close();
  });
});
