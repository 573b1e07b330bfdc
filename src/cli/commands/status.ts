// `smarttags status`: asks a running `smarttags up` (its HTTP endpoint) for signatures, active rules and counters.

import { parseCommandArgs, UsageError } from '../../options/args.ts';
import { loadConfigFile } from '../../system/config.ts';
import { DEFAULT_STATUS_URL, fetchStatus, formatStatus } from '../../system/status-client.ts';

export const summary = 'show the running instance: signatures, active rules, counters';

const HELP = `usage: smarttags status [--url ${DEFAULT_STATUS_URL} | --config smarttags.yaml] [--json]

Queries the HTTP endpoint of a running \`smarttags up\` (GET /status). --config takes the address from
the config's http section; --json prints the raw status document.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { url: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, HELP);
  if (!args) return 0;
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}\n${HELP}`);
  const status = await fetchStatus(instanceUrl(args.values.url, args.values.config));
  process.stdout.write(args.values.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status, Date.now() * 1000) + '\n');
  return 0;
}

/** The base URL of the instance: --url, else the config's http section, else the default. */
export function instanceUrl(url: string | undefined, config: string | undefined): string {
  if (url && config) throw new UsageError('--url and --config: give one of them');
  if (url) return url;
  if (config) {
    const { http } = loadConfigFile(config);
    const host = http.host === '0.0.0.0' ? '127.0.0.1' : http.host === '::' ? '::1' : http.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
  }
  return DEFAULT_STATUS_URL;
}
