// HTTP to a worker's private admin listener (127.0.0.1, an ephemeral port each): the primary reuses the
// workers' own status page, API and token check instead of re-implementing them.

import * as http from 'node:http';

export interface LoopbackResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const TIMEOUT_MS = 5000;

export function loopbackRequest(port: number, method: string, path: string, headers: http.OutgoingHttpHeaders = {}, body?: Buffer): Promise<LoopbackResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, connection: 'close' }, timeout: TIMEOUT_MS, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`worker admin on port ${port} did not answer in ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
