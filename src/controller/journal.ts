// The rule journal: an append-only JSON-lines file of what was applied (with the exact undo commands)
// and what was reverted. Replayed at start: entries applied and never reverted are returned for undoing
// (crash recovery), then the file is compacted. Lines are written (one write on a descriptor kept open) before
// the kernel is touched; a SIGKILLed process loses nothing (the page cache survives it), and a machine crash
// also clears the namespaces the rules lived in.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkCommand, type Command } from './command.ts';

export interface AppliedEntry {
  op: 'applied';
  id: string;
  kind: 'rule' | 'setup';
  action: string;
  target: string;
  expiresAt: number | null;
  undo: Command[];
}

export interface RevertedEntry {
  op: 'reverted';
  id: string;
}

export type JournalEntry = AppliedEntry | RevertedEntry;

export interface Replay {
  /** Applied and never reverted, oldest first. */
  outstanding: AppliedEntry[];
  /** Lines that could not be read (named by line number), skipped. */
  problems: string[];
}

export class RuleJournal {
  private lines = 0;
  /** Open for appending between compactions (an open per line would triple the syscalls on the apply path). */
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /** Reads the journal; does not change it. */
  replay(): Replay {
    const out = new Map<string, AppliedEntry>();
    const problems: string[] = [];
    if (!existsSync(this.path)) return { outstanding: [], problems };
    const text = readFileSync(this.path, 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const e = parseEntry(JSON.parse(line));
        if (e.op === 'applied') {
          out.delete(e.id);
          out.set(e.id, e);
        } else out.delete(e.id);
      } catch (err) {
        problems.push(`${this.path}:${i + 1}: ${(err as Error).message}`);
      }
    });
    return { outstanding: [...out.values()], problems };
  }

  /** Rewrites the journal with only `keep` (atomic rename); the next append opens the new file. */
  compact(keep: AppliedEntry[]): void {
    this.closeFd();
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, keep.map((e) => JSON.stringify(e) + '\n').join(''));
    renameSync(tmp, this.path);
    this.lines = keep.length;
  }

  append(e: JournalEntry): void {
    if (this.fd === null) this.fd = openSync(this.path, 'a');
    const line = Buffer.from(JSON.stringify(e) + '\n');
    for (let off = 0; off < line.length; ) off += writeSync(this.fd, line, off);
    this.lines++;
  }

  private closeFd(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  /** Lines written since the last compaction. */
  get size(): number {
    return this.lines;
  }
}

function parseEntry(v: unknown): JournalEntry {
  if (typeof v !== 'object' || v === null) throw new Error('not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 200) throw new Error('id: missing or not a string');
  if (o.op === 'reverted') return { op: 'reverted', id: o.id };
  if (o.op !== 'applied') throw new Error(`op: must be "applied" or "reverted", got ${JSON.stringify(o.op)}`);
  if (o.kind !== 'rule' && o.kind !== 'setup') throw new Error(`kind: must be "rule" or "setup", got ${JSON.stringify(o.kind)}`);
  if (!Array.isArray(o.undo)) throw new Error('undo: not a list');
  return {
    op: 'applied',
    id: o.id,
    kind: o.kind,
    action: String(o.action),
    target: String(o.target),
    expiresAt: typeof o.expiresAt === 'number' ? o.expiresAt : null,
    undo: o.undo.map((c, i) => checkCommand(c, `undo[${i}]`)),
  };
}
