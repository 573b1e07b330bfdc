// The process's HTTP endpoint: GET /metrics (Prometheus), /status (signatures summary, active rules,
// counters as JSON), /signatures (the SignaturesUpdate in force), /healthz. Loopback by default.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SystemMetrics } from './metrics.ts';

export interface HttpRoutes {
  metrics: SystemMetrics;
  status(): unknown;
  signatures(): unknown;
}

export interface HttpEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(host: string, port: number, routes: HttpRoutes): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('only GET\n');
      return;
    }
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 1) + '\n');
    };
    try {
      switch (path) {
        case '/metrics':
          routes.metrics.text().then(
            (text) => res.writeHead(200, { 'content-type': routes.metrics.contentType }).end(text),
            (err: Error) => res.writeHead(500).end(`metrics failed: ${err.message}\n`),
          );
          return;
        case '/status':
          return json(routes.status());
        case '/signatures':
          return json(routes.signatures());
        case '/healthz':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
          return;
        default:
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /status, /signatures, /healthz\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
