// One request through a freshly started front before it is loaded: wrk counts a 404 or a truncated body as
// a fast success, so check that the front really proxies this scenario's request and returns the whole body.

import { request } from 'node:http';
import type { Scenario } from './scenarios.js';

export function preflight(port: number, scenario: Scenario, cookie: string | undefined): Promise<void> {
  const body = scenario.method === 'POST' ? Buffer.alloc(scenario.bodyBytes ?? 0, 0x61) : undefined;
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers['Cookie'] = cookie;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
    headers['Content-Length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: scenario.path, method: scenario.method, headers, agent: false }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`preflight ${scenario.method} ${scenario.path}: HTTP ${res.statusCode}`));
        else if (received < scenario.minBodyBytes) reject(new Error(`preflight ${scenario.path}: ${received} body bytes, want >= ${scenario.minBodyBytes}`));
        else resolve();
      });
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`preflight ${scenario.path}: no answer in 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
