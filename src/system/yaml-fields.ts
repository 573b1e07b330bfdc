// Typed reading of a parsed YAML document with errors that name the field path and its line:column,
// so a config mistake reads as `smarttags.yaml:12:5: engine.learnIntervalSec: must be >= 0.1, got -1`.

import { isMap, LineCounter, parseDocument, type Document } from 'yaml';

export type FieldPath = (string | number)[];

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly field: string,
    reason: string,
  ) {
    super(`${file}:${line}:${column}: ${field ? field + ': ' : ''}${reason}`);
  }
}

export function fieldName(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A parsed YAML source that can locate any field path to report errors. */
export class YamlSource {
  readonly value: unknown;
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      throw new ConfigError(file, pos.line, pos.col, '', `YAML syntax: ${err.message.split('\n')[0]}`);
    }
    this.value = this.doc.toJS() ?? {};
  }

  /** Line and column of a field (its value, or the key when asked), falling back to the nearest parent. */
  locate(path: FieldPath, key = false): { line: number; col: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (key && n === path.length && n > 0) {
        const parent = sub.length > 1 ? this.doc.getIn(sub.slice(0, -1), true) : this.doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === sub[sub.length - 1]);
          const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
          if (range) return this.lines.linePos(range[0]);
        }
      }
      const node = n === 0 ? this.doc.contents : this.doc.getIn(sub, true);
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) return this.lines.linePos(range[0]);
    }
    return { line: 1, col: 1 };
  }

  error(path: FieldPath, reason: string, key = false): ConfigError {
    const { line, col } = this.locate(path, key);
    return new ConfigError(this.file, line, col, fieldName(path), reason);
  }
}

/** One YAML mapping read field by field; `done()` rejects keys nobody asked for. */
export class Fields {
  private readonly seen = new Set<string>();
  private readonly obj: Record<string, unknown>;

  constructor(
    readonly src: YamlSource,
    readonly path: FieldPath,
    value: unknown,
  ) {
    if (value === undefined || value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) throw src.error(path, `must be a mapping, got ${describe(value)}`);
    this.obj = value as Record<string, unknown>;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  str(key: string, fallback: string, check?: (s: string) => string | null): string {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || v.length === 0) throw this.src.error([...this.path, key], `must be a non-empty string, got ${describe(v)}`);
    const problem = check?.(v);
    if (problem) throw this.src.error([...this.path, key], problem);
    return v;
  }

  optStr(key: string, check?: (s: string) => string | null): string | undefined {
    return this.has(key) ? this.str(key, '', check) : (this.raw(key), undefined);
  }

  num(key: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    const p = [...this.path, key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.src.error(p, `must be a number, got ${describe(v)}`);
    if (opts.integer && !Number.isInteger(v)) throw this.src.error(p, `must be an integer, got ${v}`);
    if (opts.min !== undefined && v < opts.min) throw this.src.error(p, `must be >= ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) throw this.src.error(p, `must be <= ${opts.max}, got ${v}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.src.error([...this.path, key], `must be true or false, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const v = this.str(key, fallback);
    if (!choices.includes(v as T)) throw this.src.error([...this.path, key], `must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  strList(key: string, fallback: string[], check?: (s: string) => string | null): string[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (!Array.isArray(v)) throw this.src.error([...this.path, key], `must be a list, got ${describe(v)}`);
    return v.map((item, i) => {
      if (typeof item !== 'string' || item.length === 0) throw this.src.error([...this.path, key, i], `must be a non-empty string, got ${describe(item)}`);
      const problem = check?.(item);
      if (problem) throw this.src.error([...this.path, key, i], problem);
      return item;
    });
  }

  /** A nested mapping (absent = empty). */
  sub(key: string): Fields {
    return new Fields(this.src, [...this.path, key], this.raw(key));
  }

  /** A list of mappings (absent = empty). */
  list(key: string): Fields[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.src.error([...this.path, key], `must be a list, got ${describe(v)}`);
    return v.map((item, i) => new Fields(this.src, [...this.path, key, i], item));
  }

  /** The whole mapping as plain data, for sections another module validates (marks every key as read). */
  plain(): Record<string, unknown> {
    for (const k of Object.keys(this.obj)) this.seen.add(k);
    return this.obj;
  }

  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.seen.has(k)) throw this.src.error([...this.path, k], 'unknown field', true);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

