// The synchronous parameter server inside its namespace: accepts the workers, then for every JSON command
// on stdin ({iterations, paramBytes, gradBytes, computeMs, tag}) runs that many iterations -- rpc_sync sends
// the parameters to every worker and waits for all gradients -- and prints one JSON result line. With
// `tagging` and `tag`, every rpc_sync emits an `rpc_sync` Tag (value: workers pulled) through the SDK.

import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { createTagger, type Tagger } from '../sdk/index.ts';
import { encodeFrame, FrameReader, GRAD, PARAMS } from './ps-protocol.ts';

interface Args { address: string; port: number; workers: number; tagging?: { endpoint: string; locale: string } }
interface Command { iterations: number; paramBytes: number; gradBytes: number; computeMs: number; tag?: boolean }

const args = JSON.parse(process.argv[2] ?? '{}') as Partial<Args>;
if (!args.address || !args.port || !args.workers) {
  process.stderr.write('usage: dml-server-main {"address","port","workers"}\n');
  process.exit(2);
}
const { address, port, workers, tagging } = args as Args;
const tagger: Tagger | null = tagging ? createTagger({ endpoint: tagging.endpoint, locale: tagging.locale }) : null;

const conns: { name: string; sock: Socket; reader: FrameReader }[] = [];
let onGrad: ((iter: number) => void) | null = null;

const server = createServer((sock) => {
  sock.setNoDelay(true);
  let name: string | null = null;
  let pre = Buffer.alloc(0);
  const reader = new FrameReader('server', (h) => {
    if (h.type === GRAD) onGrad?.(h.iter);
  });
  sock.on('data', (d) => {
    try {
      if (name === null) {
        pre = Buffer.concat([pre, d]);
        const nl = pre.indexOf(10);
        if (nl < 0) return;
        name = pre.subarray(0, nl).toString();
        conns.push({ name, sock, reader });
        const rest = pre.subarray(nl + 1);
        if (rest.length) reader.push(rest);
        if (conns.length === workers) process.stdout.write(JSON.stringify({ ready: conns.map((c) => c.name).sort() }) + '\n');
        return;
      }
      reader.push(d);
    } catch (e) {
      process.stderr.write(`server: ${(e as Error).message}\n`);
      sock.destroy();
    }
  });
  sock.on('error', () => undefined);
});
server.listen(port, address);

let iterSeq = 0;

async function runIterations(c: Command): Promise<{ syncs: number[]; iterationMs: number[] }> {
  const syncs: number[] = [];
  const iterationMs: number[] = [];
  for (let i = 0; i < c.iterations; i++) {
    const iter = ++iterSeq;
    let pending = conns.length;
    const done = new Promise<void>((resolve) => {
      onGrad = (it) => {
        if (it === iter && --pending === 0) resolve();
      };
    });
    const t0 = performance.now();
    // rpc_sync: the moment the server pulls a round of gradients.
    syncs.push(Date.now());
    if (c.tag) tagger?.tag('rpc_sync', conns.length);
    const frame = encodeFrame({ type: PARAMS, iter, payload: c.paramBytes, gradBytes: c.gradBytes, computeMs: c.computeMs });
    for (const k of conns) k.sock.write(frame);
    await done;
    iterationMs.push(performance.now() - t0);
  }
  onGrad = null;
  return { syncs, iterationMs };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  void (async () => {
    try {
      const c = JSON.parse(line) as Command;
      for (const k of ['iterations', 'paramBytes', 'gradBytes', 'computeMs'] as const) {
        if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`command field ${k}: non-negative integer required`);
      }
      process.stdout.write(JSON.stringify(await runIterations(c)) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
    }
  })();
}).on('close', () => {
  for (const k of conns) k.sock.destroy();
  server.close();
  // A referenced timer keeps the process alive while the SDK (whose handles are unref'd) flushes and closes.
  const keepAlive = setTimeout(() => undefined, 2000);
  void (tagger?.close() ?? Promise.resolve()).finally(() => clearTimeout(keepAlive));
});
