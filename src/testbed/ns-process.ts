// Processes inside a node's namespace: long-lived daemons (memcached, iperf3 -s) registered for teardown,
// and TypeScript entry points of this folder run to completion with `node --import tsx`.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startProcess, stopProcess } from './exec.ts';
import { checkName } from './names.ts';
import type { Topology } from './topology.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Starts a daemon in the node's namespace; it is stopped by the registry's teardown. */
export async function startDaemon(topo: Topology, node: string, name: string, argv: string[]): Promise<ChildProcess> {
  const child = await startProcess(['ip', 'netns', 'exec', topo.ns(node), ...argv]);
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr = (stderr + String(d)).slice(-2000); });
  child.stdout?.resume();
  topo.registry.addProcess(name, child);
  child.once('exit', (code, sig) => {
    if (code !== 0 && sig === null && !topo.registry.stopping) process.stderr.write(`testbed: ${name} exited with ${code}: ${stderr.trim()}\n`);
  });
  return child;
}

export interface ScriptRun {
  child: ChildProcess;
  /** Resolves with stdout when the script exits 0, rejects with its stderr otherwise. */
  done: Promise<string>;
}

/** Runs src/testbed/<script> inside the node's namespace with one JSON argument. */
export function runScript(topo: Topology, node: string, script: string, arg: unknown, opts: { timeoutMs?: number } = {}): ScriptRun {
  checkName('script', script.replace(/\.ts$/, ''));
  const entry = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn('ip', ['netns', 'exec', topo.ns(node), process.execPath, '--import', 'tsx', entry, JSON.stringify(arg)], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  topo.registry.addProcess(script, child);
  const done = new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => { out += String(d); });
    child.stderr!.on('data', (d) => { err = (err + String(d)).slice(-8000); });
    const timer = opts.timeoutMs ? setTimeout(() => {
      err += `\ntimed out after ${opts.timeoutMs} ms`;
      void stopProcess(child, 1000);
    }, opts.timeoutMs) : null;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) resolve(out);
      else if (topo.registry.stopping) reject(new Error(`${script} in ${node} stopped by the testbed's teardown (${signal ?? code})`));
      else reject(new Error(`${script} in ${node} failed (${code ?? signal}): ${err.trim()}`));
    });
  });
  // A script the teardown stops (Ctrl-C) may have nobody awaiting it any more: its end must not count as an
  // unhandled rejection, which would exit before the teardown is done. Whoever awaits it still sees the error.
  child.once('exit', () => {
    if (topo.registry.stopping) done.catch(() => undefined);
  });
  return { child, done };
}

/** A long-lived script spoken to in JSON lines: each request written to stdin, each reply one stdout line. */
export class ScriptSession {
  private readonly lines: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private ended = false;
  readonly run: ScriptRun;

  constructor(topo: Topology, node: string, script: string, arg: unknown) {
    this.run = runScript(topo, node, script, arg);
    this.run.done.catch(() => undefined).finally(() => {
      this.ended = true;
      this.waiter?.(null);
    });
    createInterface({ input: this.run.child.stdout! }).on('line', (l) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(l);
      } else this.lines.push(l);
    });
  }

  /** The next reply line parsed as JSON; rejects if the script has exited or sends {error}. */
  async next<T>(timeoutMs = 120_000): Promise<T> {
    const line = this.lines.shift() ?? (this.ended ? null : await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
    }));
    if (line === null) {
      const why = await this.run.done.then(() => 'exited', (e: Error) => e.message);
      throw new Error(`script session: no reply (${this.ended ? why : `timeout ${timeoutMs} ms`})`);
    }
    const v = JSON.parse(line) as T & { error?: string };
    if (v && typeof v === 'object' && typeof v.error === 'string') throw new Error(`script session: ${v.error}`);
    return v;
  }

  async request<T>(cmd: unknown, timeoutMs?: number): Promise<T> {
    this.run.child.stdin!.write(JSON.stringify(cmd) + '\n');
    return this.next<T>(timeoutMs);
  }

  /** Closes stdin (the script's signal to finish) and waits for it to exit. */
  async close(): Promise<void> {
    this.run.child.stdin!.end();
    await Promise.race([this.run.done.catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
    await stopProcess(this.run.child, 1000);
  }
}
