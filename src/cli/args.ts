// Option parsing for CLI commands: the parser shared with the benchmarks (src/options/args.ts), under the
// import path every command uses.

export { numberOption, parseCommandArgs, UsageError } from '../options/args.ts';
