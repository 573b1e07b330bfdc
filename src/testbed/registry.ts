// The record of everything one testbed run created (network namespaces, processes, kernel changes) and
// its teardown: on normal exit, on failure, on SIGINT/SIGTERM and, synchronously, on process exit.
// Only names carrying this run's prefix are ever deleted.

import { execFileSync, type ChildProcess } from 'node:child_process';
import { run, stopProcess } from './exec.ts';
import { checkName, isRunPrefix } from './names.ts';

export interface Change {
  /** The namespace the command ran in, or '' for the initial namespace (the testbed never changes it). */
  ns: string;
  argv: string[];
}

export class Registry {
  readonly namespaces: string[] = [];
  readonly processes: { name: string; child: ChildProcess }[] = [];
  /** Every configuration command run, in order; all of them live inside namespaces listed above. */
  readonly changes: Change[] = [];
  private closed = false;
  /** True once teardown has begun: exits after that are expected. */
  stopping = false;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    void this.teardown().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  private readonly onExit = () => this.teardownSync();

  constructor(readonly prefix: string) {
    if (!isRunPrefix(prefix)) throw new Error(`registry: invalid run prefix ${JSON.stringify(prefix)}`);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', this.onExit);
  }

  async addNamespace(ns: string): Promise<void> {
    checkName('namespace', ns);
    if (!ns.startsWith(this.prefix)) throw new Error(`namespace ${ns} lacks the run prefix ${this.prefix}`);
    if (this.closed) throw new Error('registry: already torn down');
    await run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    this.changes.push({ ns, argv: ['ip', 'netns', 'add', ns] });
  }

  addProcess(name: string, child: ChildProcess): void {
    this.processes.push({ name, child });
  }

  recordChange(ns: string, argv: string[]): void {
    this.changes.push({ ns, argv });
  }

  /** Stops processes (newest first), kills anything left inside our namespaces, deletes the namespaces. */
  async teardown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping = true;
    for (const p of [...this.processes].reverse()) await stopProcess(p.child, 1500);
    for (const ns of [...this.namespaces].reverse()) {
      await killNamespacePids(ns);
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    }
    this.namespaces.length = 0;
    this.detach();
  }

  /** Last-resort cleanup from the 'exit' handler, where only synchronous work runs. */
  teardownSync(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopping = true;
    for (const p of this.processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter((s) => /^\d+$/.test(s));
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      } catch { /* namespace already gone */ }
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
    }
    this.detach();
  }

  private detach(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
  }
}

async function killNamespacePids(ns: string): Promise<void> {
  const out = await run(['ip', 'netns', 'pids', ns]).catch(() => '');
  const pids = out.split('\n').filter((s) => /^\d+$/.test(s)).map(Number);
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
  }
}
