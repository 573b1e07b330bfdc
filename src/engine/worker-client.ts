// The engine service's side of the learning worker thread: sends window snapshots (buffers transferred,
// not copied) to src/engine/worker.ts and awaits the SignaturesDoc, so ingest never waits on learning.

import { Worker } from 'node:worker_threads';
import type { Series } from '../protocol/series-store.ts';
import type { SignaturesDoc } from './signature.ts';

export interface LearnRequest {
  id: number;
  series: Series[];
  /** Topology as the learner reads it (file contents parsed by the worker), or null. */
  topologyFile: string | null;
  params: Record<string, unknown>;
}

export type LearnResponse = { id: number; ok: true; doc: SignaturesDoc; ms: number; threadId: number } | { id: number; ok: false; error: string };

export interface LearnOutput {
  doc: SignaturesDoc;
  /** Learning time inside the worker. */
  ms: number;
  /** Thread that learned (never the main thread's 0). */
  threadId: number;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;

/** Starts the worker through tsx's loader so it runs the TypeScript sources whatever the parent's flags. */
function spawnWorker(): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); });`;
  return new Worker(boot, { eval: true, execArgv: [] });
}

export class LearnWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (out: LearnOutput) => void; reject: (err: Error) => void }>();

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker();
    w.on('message', (m: LearnResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve({ doc: m.doc, ms: m.ms, threadId: m.threadId });
      else p.reject(new Error(m.error));
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (this.worker === w) this.worker = null;
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`learning worker exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  /** Learns from `series` in the worker; the series' buffers are transferred (unusable here afterwards). */
  learn(series: Series[], topologyFile: string | null, params: Record<string, unknown>): Promise<LearnOutput> {
    const w = this.ensure();
    const id = this.nextId++;
    const req: LearnRequest = { id, series, topologyFile, params };
    const transfer = series.flatMap((s) => [s.times.buffer as ArrayBuffer, s.values.buffer as ArrayBuffer]);
    return new Promise<LearnOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage(req, transfer);
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
