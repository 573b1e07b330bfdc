// learnSignaturesParallel: the same pipeline as learnSignatures, with the group screen (the heaviest pass)
// split between this thread and a worker thread over shared memory. Statistics add, so the result is
// identical to the single-threaded one.

import { Worker } from 'node:worker_threads';
import type { Series } from '../protocol/series-store.ts';
import type { LocaleRelations } from './candidates.ts';
import { groupScreenHere, learnPipeline, type GroupScreenRequest, type LearnResult, type Progress } from './learn.ts';
import type { LearnParams } from './params.ts';
import type { ScreenJob } from './screen-worker.ts';

const WORKER_URL = new URL('./screen-worker.ts', import.meta.url).href;

/** Starts a screen worker through tsx's loader (the sources are TypeScript). */
export function startScreenWorker(): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); });`;
  return new Worker(boot, { eval: true, execArgv: [] });
}

/**
 * Learns with `threads` threads (1 = learnSignatures in this thread). The worker is started at once, so
 * its start-up overlaps candidate enumeration, and is terminated before returning.
 */
export async function learnSignaturesParallel(
  series: readonly Series[],
  topology: LocaleRelations | null,
  params: Partial<LearnParams> = {},
  progress?: Progress,
  threads = 2,
): Promise<LearnResult> {
  if (!(Number.isSafeInteger(threads) && threads >= 1)) throw new Error(`threads: must be a positive integer, got ${threads}`);
  const workers = Array.from({ length: threads - 1 }, () => startScreenWorker());
  try {
    const run = learnPipeline(series, topology, params, progress);
    let step = run.next();
    while (!step.done) step = run.next(workers.length ? await screenSplit(step.value, workers) : groupScreenHere(step.value));
    return step.value;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Splits the groups by estimated cost: workers take their shares, this thread computes the rest. */
async function screenSplit(req: GroupScreenRequest, workers: Worker[]): Promise<Float64Array> {
  const { ctx, groups, merged } = req;
  const B = ctx.edges.length - 1;
  const shares = workers.length + 1;
  const cost = groups.map((g) => Math.min(ctx.series[g.tag]!.times.length, ctx.params.screenTags * 2));
  const total = cost.reduce((a, b) => a + b, 0);
  const owner = new Int32Array(groups.length);
  let acc = 0;
  groups.forEach((_, k) => {
    owner[k] = Math.min(shares - 1, Math.floor((acc * shares) / Math.max(1, total)));
    acc += cost[k]!;
  });
  const shared = new Map<Float64Array, number>();
  const tags: Float64Array[] = [];
  const events: Float64Array[] = [];
  const slot = (list: Float64Array[], a: Float64Array): number => {
    let i = shared.get(a);
    if (i === undefined) {
      i = list.length;
      list.push(a.buffer instanceof SharedArrayBuffer ? a : toShared(a));
      shared.set(a, i);
    }
    return i;
  };
  const pending = workers.map((w, wi) => {
    const mine = groups.map((_, k) => k).filter((k) => owner[k] === wi + 1);
    const tagIds = new Map<number, number>();
    const job: ScreenJob = {
      edges: ctx.edges,
      groupTag: Int32Array.from(mine, (k) => {
        const t = groups[k]!.tag;
        let i = tagIds.get(t);
        if (i === undefined) tagIds.set(t, (i = slot(tags, ctx.series[t]!.times)));
        return i;
      }),
      groupEvents: Int32Array.from(mine, (k) => slot(events, merged[k]!)),
      groupStride: Int32Array.from(mine, (k) => Math.max(1, Math.ceil(ctx.series[groups[k]!.tag]!.times.length / ctx.params.screenTags))),
      tags,
      events,
    };
    return {
      mine,
      result: new Promise<Float64Array>((resolve, reject) => {
        w.once('message', (m: { ok: true; out: Float64Array } | { ok: false; error: string }) => (m.ok ? resolve(m.out) : reject(new Error(`screen worker: ${m.error}`))));
        w.once('error', reject);
        w.postMessage(job);
      }),
    };
  });
  const local = groups.map((_, k) => k).filter((k) => owner[k] === 0);
  const here = groupScreenHere({ ...req, groups: local.map((k) => groups[k]!), merged: local.map((k) => merged[k]!) });
  const out = new Float64Array(groups.length * 2 * B);
  const place = (ks: number[], part: Float64Array) => ks.forEach((k, x) => out.set(part.subarray(x * 2 * B, (x + 1) * 2 * B), k * 2 * B));
  place(local, here);
  for (const p of pending) place(p.mine, await p.result);
  return out;
}

function toShared(a: Float64Array): Float64Array {
  const s = new Float64Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}
