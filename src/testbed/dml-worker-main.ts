// A parameter-server worker inside its namespace: connects to the server, and for every PARAMS frame
// computes for the requested time and pushes a gradient of the requested size. Exits when the server closes.

import { connect } from 'node:net';
import { encodeFrame, FrameReader, GRAD } from './ps-protocol.ts';

const arg = JSON.parse(process.argv[2] ?? '{}') as { server?: string; port?: number; name?: string };
if (!arg.server || !arg.port || !arg.name) {
  process.stderr.write('usage: dml-worker-main {"server","port","name"}\n');
  process.exit(2);
}
const { server, port, name } = arg as { server: string; port: number; name: string };

function open(attempt: number): void {
  const sock = connect({ host: server, port });
  sock.setNoDelay(true);
  let connected = false;
  sock.once('connect', () => {
    connected = true;
    sock.write(Buffer.from(`${name}\n`));
  });
  const reader = new FrameReader(`worker ${name}`, (h) => {
    setTimeout(() => sock.write(encodeFrame({ type: GRAD, iter: h.iter, payload: h.gradBytes, gradBytes: 0, computeMs: 0 })), h.computeMs);
  });
  sock.on('data', (d) => {
    try {
      reader.push(d);
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      sock.destroy();
      process.exitCode = 1;
    }
  });
  sock.on('error', (e) => {
    if (!connected && attempt < 100) setTimeout(() => open(attempt + 1), 50);
    else process.stderr.write(`worker ${name}: ${e.message}\n`);
  });
}
open(0);
