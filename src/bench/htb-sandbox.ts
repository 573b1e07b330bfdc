// A throwaway network namespace with one veth port under an htb root and class 1:1, for timing kernel
// actions (`bench runtime`). The namespace name is unique per run; close() removes it (also on exit).

import { execFileSync, spawnSync } from 'node:child_process';
import { BatchProcess } from '../driver/collectors/batch-process.ts';

export class HtbSandbox {
  readonly ns: string;
  readonly device = 'bh0';
  private readonly tc: BatchProcess;
  private alive = false;
  private readonly onExit = () => this.removeSync();

  private constructor() {
    this.ns = `st-bench-${process.pid}-${Date.now().toString(36)}`;
    this.tc = new BatchProcess(['tc', '-n', this.ns, '-j', '-batch', '-']);
  }

  /** Creates the namespace, port and htb tree; null (with the reason) when ip/tc or privileges are missing. */
  static create(): { sandbox: HtbSandbox } | { reason: string } {
    if (spawnSync('tc', ['-V']).status !== 0 || spawnSync('ip', ['-V']).status !== 0) return { reason: 'iproute2 (ip, tc) not installed' };
    const s = new HtbSandbox();
    try {
      s.run(['ip', 'netns', 'add', s.ns]);
      s.alive = true;
      process.on('exit', s.onExit);
      s.run(['ip', '-n', s.ns, 'link', 'add', s.device, 'type', 'veth', 'peer', 'name', 'bh1']);
      s.run(['ip', '-n', s.ns, 'link', 'set', s.device, 'up']);
      s.run(['tc', '-n', s.ns, 'qdisc', 'add', 'dev', s.device, 'root', 'handle', '1:', 'htb', 'default', '1']);
      s.run(['tc', '-n', s.ns, 'class', 'add', 'dev', s.device, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '100mbit', 'quantum', '1514']);
      return { sandbox: s };
    } catch (err) {
      s.removeSync();
      return { reason: `cannot build the htb sandbox: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  /**
   * Sets class 1:1 to `rateBps` and resolves once the kernel acknowledged it: the change and a following
   * `qdisc show` go through one long-lived tc batch process, whose JSON answer proves the change was processed.
   */
  async setRate(rateBps: number): Promise<void> {
    const rate = Math.max(8000, Math.round(rateBps));
    await this.tc.query(`class change dev ${this.device} parent 1: classid 1:1 htb rate ${rate}bit quantum 1514`, `qdisc show dev ${this.device}`);
  }

  async close(): Promise<void> {
    await this.tc.close();
    this.removeSync();
  }

  private removeSync(): void {
    if (!this.alive) return;
    this.alive = false;
    process.off('exit', this.onExit);
    spawnSync('ip', ['netns', 'del', this.ns]);
  }

  private run(argv: string[]): void {
    execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}
