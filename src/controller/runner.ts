// How the controller runs kernel commands: changes through a long-lived batch process per tool and
// namespace (fast), reads and probes through one-shot execFile (argv arrays, never a shell). Every command is
// validated by checkCommand before anything runs.

import { execFile } from 'node:child_process';
import { BatchChanges } from '../linux/batch-process.ts';
import { argv, checkCommand, describeCommand, type Command } from './command.ts';

export interface CommandRunner {
  /** Runs a command that changes kernel state; rejects with the tool's own message. */
  change(cmd: Command): Promise<void>;
  /** Runs a command as its own process (reads, probes); resolves with its stdout. */
  exec(cmd: Command): Promise<string>;
  close(): Promise<void>;
}

export class SystemRunner implements CommandRunner {
  private readonly batches = new Map<string, BatchChanges>();

  constructor(private readonly timeoutMs = 5000) {}

  async change(cmd: Command): Promise<void> {
    const c = checkCommand(cmd);
    const key = `${c.tool} ${c.netns ?? ''}`;
    let b = this.batches.get(key);
    if (!b) this.batches.set(key, (b = new BatchChanges(c.tool, c.netns, this.timeoutMs)));
    await b.run(c.args);
  }

  exec(cmd: Command): Promise<string> {
    const c = checkCommand(cmd);
    return new Promise((resolve, reject) => {
      execFile(c.tool, argv(c), { timeout: this.timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${describeCommand(c)}: ${String(stderr).trim() || err.message}`));
        else resolve(String(stdout));
      });
    });
  }

  async close(): Promise<void> {
    const all = [...this.batches.values()];
    this.batches.clear();
    await Promise.all(all.map((b) => b.close()));
  }
}
