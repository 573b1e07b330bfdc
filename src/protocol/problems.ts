// Malformed-input reporting for record readers: {file, line, field, reason}, counted, the first few kept,
// or thrown at the first one in strict mode.

export interface Problem {
  file: string;
  /** 1-based line number. */
  line: number;
  /** The record field at fault ("time", "locale", "kind", "name", "value"), or null for the whole line. */
  field: string | null;
  reason: string;
}

/** `drops.csv:17: field "time": not a number: "12x"`. */
export function formatProblem(p: Problem): string {
  return p.field === null ? `${p.file}:${p.line}: ${p.reason}` : `${p.file}:${p.line}: field "${p.field}": ${p.reason}`;
}

/** A malformed record in strict mode. */
export class RecordInputError extends Error {
  constructor(readonly problem: Problem) {
    super(formatProblem(problem));
  }
}

/** A file whose format cannot be determined or read at all (wrong header, missing kind prefix, ...). */
export class RecordFormatError extends Error {}

/** Number of problem messages kept for a summary by default. */
export const DEFAULT_KEPT_PROBLEMS = 20;

export class ProblemLog {
  /** Malformed lines seen (skipped). */
  count = 0;
  readonly kept: Problem[] = [];

  constructor(
    readonly strict = false,
    readonly maxKept = DEFAULT_KEPT_PROBLEMS,
    private readonly onProblem?: (p: Problem) => void,
  ) {}

  report(file: string, line: number, field: string | null, reason: string): void {
    const p: Problem = { file, line, field, reason };
    if (this.strict) throw new RecordInputError(p);
    this.count++;
    if (this.kept.length < this.maxKept) this.kept.push(p);
    this.onProblem?.(p);
  }
}
