// The record of everything one testbed run created (network namespaces, processes, kernel changes, files) and
// its teardown: on normal exit, on failure, on SIGINT/SIGTERM and, synchronously, on process exit.
// Only names carrying this run's prefix are ever deleted.

import { execFileSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
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
  /** Files of this run outside the namespaces (sockets, journals), removed with them. */
  readonly files: string[] = [];
  private closed = false;
  /** True once a teardown has removed everything: the exit handler then has nothing left to do. */
  private finished = false;
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

  /** Records a file the run creates; its name must carry the run prefix, so nothing else is ever removed. */
  addFile(path: string): void {
    if (!basename(path).includes(this.prefix)) throw new Error(`registry: file ${path} lacks the run prefix ${this.prefix}`);
    this.files.push(path);
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
    // Each namespace leaves the list once deleted, so an exit in the middle (an error thrown elsewhere while
    // this awaits) leaves the exit handler exactly what is still there.
    while (this.namespaces.length) {
      const ns = this.namespaces[this.namespaces.length - 1]!;
      await killNamespacePids(ns);
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
      this.namespaces.pop();
    }
    this.removeFiles();
    this.finished = true;
    this.detach();
  }

  /**
   * Last-resort cleanup from the 'exit' handler, where only synchronous work runs: everything when no teardown
   * began, or what an interrupted teardown had not removed yet.
   */
  teardownSync(): void {
    if (this.finished) return;
    this.closed = true;
    this.finished = true;
    this.stopping = true;
    for (const p of this.processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter((s) => /^\d+$/.test(s));
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      } catch { /* namespace already gone */ }
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
    }
    this.removeFiles();
    this.detach();
  }

  private removeFiles(): void {
    for (const f of this.files.splice(0)) rmSync(f, { force: true });
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
