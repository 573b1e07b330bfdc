// Messages between the store (duckdb-store.ts, engine thread) and its worker thread (store-worker.ts).

import type { SignaturesDoc } from '../engine/signature.ts';
import type { RowsWrite } from './duckdb-file.ts';

export type StoreRequest = { id: number } & (
  | { op: 'write'; write: RowsWrite }
  | { op: 'saveSignatures'; generation: number; learnedAt: number; doc: SignaturesDoc }
  | { op: 'query'; sql: string }
  | { op: 'exportParquet'; dir: string }
  | { op: 'close' }
);

/** `id` 0 answers the opening (value: the stored series); `retained`: rows kept from a failed write. */
export type StoreReply = { id: number; retained?: number } & ({ ok: true; value: unknown } | { ok: false; error: string });
