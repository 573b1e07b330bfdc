// A throwaway network namespace with one veth port, where `bench runtime` lets the controller's pace
// actuator change an htb class. The name is unique per run; close() removes it (also on process exit).

import { execFileSync, spawnSync } from 'node:child_process';

export class BenchNamespace {
  readonly ns: string;
  readonly device = 'bh0';
  /** The veth's other end, a second device to change. */
  readonly peer = 'bh1';
  private alive = false;
  private readonly onExit = () => this.close();

  private constructor() {
    this.ns = `st-bench-${process.pid}-${Date.now().toString(36)}`;
  }

  /** Creates the namespace and port; the reason instead when ip or the privileges are missing. */
  static create(): { space: BenchNamespace } | { reason: string } {
    if (spawnSync('tc', ['-V']).status !== 0 || spawnSync('ip', ['-V']).status !== 0) return { reason: 'iproute2 (ip, tc) not installed' };
    const s = new BenchNamespace();
    try {
      execFileSync('ip', ['netns', 'add', s.ns], { stdio: ['ignore', 'ignore', 'pipe'] });
      s.alive = true;
      process.on('exit', s.onExit);
      execFileSync('ip', ['-n', s.ns, 'link', 'add', s.device, 'type', 'veth', 'peer', 'name', s.peer], { stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('ip', ['-n', s.ns, 'link', 'set', s.device, 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
      return { space: s };
    } catch (err) {
      s.close();
      return { reason: `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  close(): void {
    if (!this.alive) return;
    this.alive = false;
    process.off('exit', this.onExit);
    spawnSync('ip', ['netns', 'del', this.ns]);
  }
}
