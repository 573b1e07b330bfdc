// Child processes for the fault tests: `smarttags up` with roles, and a private nats-server, each killed in
// cleanup whatever happened. The HTTP endpoint of an `up` child is read from its JSON log.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/smarttags.mjs', import.meta.url));

export interface Child {
  proc: ChildProcess;
  log: string[];
  /** Resolves with the first log object that has `url` (the HTTP endpoint). */
  url: Promise<string>;
  exited: Promise<number | null>;
}

const alive = new Set<ChildProcess>();

export function startUp(args: string[]): Child {
  const proc = spawn(process.execPath, [BIN, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(proc);
  const log: string[] = [];
  let resolveUrl: (u: string) => void;
  let rejectUrl: (e: Error) => void;
  const url = new Promise<string>((res, rej) => ((resolveUrl = res), (rejectUrl = rej)));
  url.catch(() => undefined);
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      log.push(line);
      try {
        const o = JSON.parse(line) as { url?: string };
        if (o.url) resolveUrl(o.url);
      } catch {
        // not a JSON log line
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = once(proc, 'exit').then(([code]) => {
    alive.delete(proc);
    rejectUrl(new Error(`smarttags up ${args.join(' ')} exited with ${code} before listening:\n${log.join('\n')}`));
    return code as number | null;
  });
  return { proc, log, url, exited };
}

export async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return c.proc.exitCode;
  c.proc.kill(signal);
  return c.exited;
}

/** Kills (SIGKILL) every child still running; for `finally` blocks. */
export async function killAll(): Promise<void> {
  const waits = [...alive].map((p) => {
    const done = once(p, 'exit');
    p.kill('SIGKILL');
    return done;
  });
  await Promise.all(waits);
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A nats-server with JetStream on a free loopback port, its store under `storeDir`. */
export async function startNats(storeDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
  alive.add(proc);
  proc.on('exit', () => alive.delete(proc));
  await waitFor(
    'nats-server accepts connections',
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    10_000,
  );
  return { url: `nats://127.0.0.1:${port}`, proc };
}
