// `smarttags signatures`: lists the signatures in force — from the running instance, a signatures.json,
// or the latest generation stored in a DuckDB file.

import { readFile } from 'node:fs/promises';
import { parseCommandArgs, UsageError } from '../../options/args.ts';
import type { SignaturesDoc } from '../../engine/signature.ts';
import { isDuckdbSpec, readLatestSignatures } from '../../store/duckdb-reader.ts';
import { fetchSignatures, formatSignatures } from '../../system/status-client.ts';
import { instanceUrl } from './status.ts';

export const summary = 'list signatures (running instance, signatures.json or a DuckDB store)';

const HELP = `usage: smarttags signatures [signatures.json | store.duckdb] [--url URL | --config smarttags.yaml] [--json]

Without a file, asks the running \`smarttags up\` (GET /signatures). A .duckdb file (or duckdb:PATH) shows its
latest stored generation (the file must not be held by a running engine). --json prints the document.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { url: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, HELP);
  if (!args) return 0;
  if (args.positionals.length > 1) throw new UsageError(`one source at most\n${HELP}`);
  const source = args.positionals[0];
  if (source && (args.values.url || args.values.config)) throw new UsageError('give a file or --url/--config, not both');
  let doc: SignaturesDoc | null;
  let label: string;
  if (!source) {
    const base = instanceUrl(args.values.url, args.values.config);
    const u = await fetchSignatures(base);
    doc = u?.doc ?? null;
    label = u ? `${base}: generation ${u.generation}` : `${base}: no signatures learned yet`;
  } else if (isDuckdbSpec(source)) {
    const g = await readLatestSignatures(source);
    doc = g?.doc ?? null;
    label = g ? `${source}: generation ${g.generation} learned ${new Date(g.learnedAt / 1000).toISOString()}` : `${source}: no signatures stored`;
  } else {
    doc = parseDoc(await readFile(source, 'utf8'), source);
    label = source;
  }
  if (args.values.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  const sigs = doc?.signatures ?? [];
  process.stdout.write([`${label}: ${sigs.length} signature${sigs.length === 1 ? '' : 's'}`, ...formatSignatures(sigs)].join('\n') + '\n');
  return 0;
}

function parseDoc(text: string, file: string): SignaturesDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as SignaturesDoc).signatures)) throw new Error(`${file}: field "signatures": not a list (is this a signatures.json?)`);
  return doc as SignaturesDoc;
}
