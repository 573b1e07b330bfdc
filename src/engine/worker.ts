// The learning worker thread of the engine service: receives window snapshots (Series with transferred
// buffers) and runs learnSignatures off the service's event loop. The topology file is loaded once.

import { parentPort, threadId } from 'node:worker_threads';
import { DEFAULT_MAX_HOPS, Topology } from '../protocol/topology.ts';
import { topologyRelations, type LocaleRelations } from './candidates.ts';
import { learnSignatures } from './learn.ts';
import type { LearnParams } from './params.ts';
import type { LearnRequest, LearnResponse } from './worker-client.ts';

if (!parentPort) throw new Error('src/engine/worker.ts runs only as a worker thread (see worker-client.ts)');
const port = parentPort;
const topologies = new Map<string, LocaleRelations>();

async function relations(file: string | null, maxHops: number): Promise<LocaleRelations | null> {
  if (file === null) return null;
  const key = `${maxHops}\u0000${file}`;
  let rel = topologies.get(key);
  if (!rel) topologies.set(key, (rel = topologyRelations(await Topology.load(file), maxHops)));
  return rel;
}

port.on('message', async (req: LearnRequest) => {
  let res: LearnResponse;
  try {
    const t0 = performance.now();
    const { maxHops, ...params } = req.params as Partial<LearnParams> & { maxHops?: number };
    const topology = await relations(req.topologyFile, maxHops ?? DEFAULT_MAX_HOPS);
    const { doc } = learnSignatures(req.series, topology, params);
    res = { id: req.id, ok: true, doc, ms: performance.now() - t0, threadId };
  } catch (err) {
    res = { id: req.id, ok: false, error: (err as Error).message };
  }
  port.postMessage(res);
});
