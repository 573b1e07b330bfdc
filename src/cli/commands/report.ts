// `smarttags report --signatures S --out report.html`: renders signatures.json as one offline HTML file.

import { numberOption, parseCommandArgs, UsageError } from '../../options/args.ts';
import { readSignaturesDoc, writeReport } from '../../report/index.ts';

export const summary = 'Render signatures.json as a self-contained HTML report (lag histograms, extent plots, ranking)';

const HELP = `usage: smarttags report --signatures FILE --out FILE [--title TEXT] [--max-figures N] [--max-rows N]

  --signatures FILE   signatures.json written by \`smarttags learn\`
  --out FILE          HTML file to write (one file, works offline)
  --title TEXT        page title (default "SmartTags signatures")
  --max-figures N     signatures that get figures, best first (default 50)
  --max-rows N        rows of the ranked table (default 500)`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, {
    signatures: { type: 'string' },
    out: { type: 'string' },
    title: { type: 'string' },
    'max-figures': { type: 'string' },
    'max-rows': { type: 'string' },
  }, HELP);
  if (!args) return 0;
  const { values, positionals } = args;
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n${HELP}`);
  if (!values.signatures) throw new UsageError(`--signatures is required\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required\n${HELP}`);
  const count = (name: string, raw: string | undefined, fallback: number) => {
    const n = numberOption(name, raw, fallback);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: must be a non-negative integer, got ${raw}`);
    return n;
  };
  const doc = await readSignaturesDoc(values.signatures);
  const { bytes } = await writeReport(doc, values.out, {
    title: values.title,
    source: values.signatures,
    generatedAt: new Date().toISOString(),
    maxFigures: count('max-figures', values['max-figures'], 50),
    maxTableRows: count('max-rows', values['max-rows'], 500),
  });
  process.stdout.write(`wrote ${values.out} (${doc.signatures.length} signatures, ${bytes} bytes)\n`);
  return 0;
}
