// How the controller runs kernel commands: changes through a long-lived batch process per tool and
// namespace (fast), reads and probes through one-shot execFile (argv arrays, never a shell). Every command is
// validated by checkCommand before anything runs.

import { execFile } from 'node:child_process';
import { BatchChanges } from '../linux/batch-process.ts';
import { argv, checkCommand, checkTarget, describeCommand, type Command, type Tool } from './command.ts';

export interface CommandRunner {
  /** Runs a command that changes kernel state; rejects with the tool's own message. */
  change(cmd: Command): Promise<void>;
  /** Runs a command as its own process (reads, probes); resolves with its stdout. */
  exec(cmd: Command): Promise<string>;
  /** Starts what runs changes for this tool and namespace ahead of the first one (optional: a speed-up only). */
  warm?(tool: Tool, netns: string | null): void;
  close(): Promise<void>;
}

export class SystemRunner implements CommandRunner {
  private readonly batches = new Map<string, BatchChanges>();

  constructor(private readonly timeoutMs = 5000) {}

  async change(cmd: Command): Promise<void> {
    const c = checkCommand(cmd);
    await this.batch(c.tool, c.netns).run(c.args);
  }

  warm(tool: Tool, netns: string | null): void {
    const t = checkTarget(tool, netns);
    this.batch(t.tool, t.netns).warm();
  }

  private batch(tool: Tool, netns: string | null): BatchChanges {
    const key = `${tool} ${netns ?? ''}`;
    let b = this.batches.get(key);
    if (!b) this.batches.set(key, (b = new BatchChanges(tool, netns, this.timeoutMs)));
    return b;
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
