// Where an application's tagger sends its Tags: a Unix stream socket path (default) or UDP on loopback.
// Parses `unix:/path`, a bare absolute path, and `udp://127.0.0.1:PORT`.

export const DEFAULT_SOCKET_PATH = '/tmp/smarttags-driver.sock';

export type Endpoint = { kind: 'unix'; path: string } | { kind: 'udp'; host: string; port: number };

/** The endpoint from an option string, else $SMARTTAGS_ENDPOINT, else the default socket path. */
export function parseEndpoint(spec: string | undefined = process.env.SMARTTAGS_ENDPOINT): Endpoint {
  if (spec === undefined || spec === '') return { kind: 'unix', path: DEFAULT_SOCKET_PATH };
  if (spec.startsWith('unix:')) return unixEndpoint(spec.slice(5), spec);
  if (spec.startsWith('/')) return unixEndpoint(spec, spec);
  const m = /^udp:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):(\d{1,5})$/.exec(spec);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new RangeError(`endpoint ${JSON.stringify(spec)}: port ${port} outside 1-65535`);
    const host = m[1] === 'localhost' ? '127.0.0.1' : m[1] === '[::1]' ? '::1' : m[1]!;
    return { kind: 'udp', host, port };
  }
  throw new RangeError(`endpoint ${JSON.stringify(spec)}: expected unix:/path, /path or udp://127.0.0.1:PORT (loopback only)`);
}

function unixEndpoint(path: string, spec: string): Endpoint {
  if (!path.startsWith('/') || path.length > 107 || path.includes('\0')) {
    throw new RangeError(`endpoint ${JSON.stringify(spec)}: a Unix socket needs an absolute path of at most 107 bytes`);
  }
  return { kind: 'unix', path };
}
