// The hand-written access lines must stay what pino wrote before them, byte for byte: operators' log shippers
// and parsers were built on those lines. pino itself is the reference here, fed the objects it used to get.

import type { IncomingMessage } from 'node:http';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { AccessLineHead, forwardedLine, pathOf, rejectedLine, statusLine } from '../../../src/observe/access-line.js';
import type { Forwarding } from '../../../src/front/forward.js';
import { fakeForwarding, fakeReq } from './helpers.js';

const NOW = Date.UTC(2026, 11, 8, 1, 2, 3, 456);

function pinoLine(tag: boolean, fields: Record<string, unknown>, msg: string): string {
  let out = '';
  const logger = pino({
    level: 'info', base: tag ? { log: 'access' } : null,
    timestamp: () => `,"time":"${new Date(NOW).toISOString()}"`,
  }, { write: (s: string) => { out += s; } });
  logger.info(fields, msg);
  return out;
}

/** The object logs.ts handed pino for a forwarded request, field for field. */
function forwardedFields(f: Forwarding, totalMs: number, vhost: string): Record<string, unknown> {
  const round1 = (ms: number): number => Math.round(ms * 10) / 10;
  return {
    vhost, host: f.req.headers.host, remote: f.req.socket.remoteAddress, method: f.req.method, path: pathOf(f.req),
    status: f.status, bytes: f.bytesOut, ms: round1(totalMs), upstreamMs: round1(f.upstreamMs), lb: f.lb?.name,
    member: f.worker?.name, route: f.route || undefined, attempts: f.attempts, retries: f.attempts > 1 ? f.attempts - 1 : 0,
    outcome: f.outcome, error: f.outcome === 'ok' ? undefined : f.errorCode,
  };
}

function oddReq(over: { host?: string | undefined; url?: string; method?: string; remote?: string | undefined }): IncomingMessage {
  return { headers: { host: over.host }, method: over.method ?? 'GET', url: over.url ?? '/', socket: { remoteAddress: over.remote } } as unknown as IncomingMessage;
}

const forwardings: Array<[string, Forwarding]> = [
  ['plain, through an lb', fakeForwarding({ lb: { name: 'a-loadbalancer' }, worker: { name: 'was1' }, route: 'was1', attempts: 1, upstreamMs: 3.14159 })],
  ['failed over, error code', fakeForwarding({ worker: { name: 'was2' }, attempts: 3, outcome: 'recv_error', errorCode: 'ECONNRESET', status: 502 })],
  ['no worker, no host, no remote', { ...fakeForwarding({ outcome: 'no_member', errorCode: 'NO_MEMBER', status: 503, bytesOut: 0 }), req: oddReq({ host: undefined, url: '/x?y', remote: undefined }) } as Forwarding],
  ['quotes, backslashes, control characters, latin1', { ...fakeForwarding({ route: 'r"1' }), req: oddReq({ host: 'h\\"ost\u0001', url: '/caf\u00e9/"q"\t?x', method: 'M\u007fX', remote: '::ffff:127.0.0.1' }) } as Forwarding],
  ['a time that is not a number', fakeForwarding({ upstreamMs: Number.NaN, bytesOut: 1e21 })],
];

describe('access lines are the lines pino wrote', () => {
  for (const tag of [false, true]) {
    const head = new AccessLineHead(tag).at(NOW);
    for (const [name, f] of forwardings) {
      test(`forwarded: ${name}${tag ? ' (stdout)' : ''}`, () => {
        expect(forwardedLine(head, f, 12.345, 'www.example.com')).toBe(pinoLine(tag, forwardedFields(f, 12.345, 'www.example.com'), 'request completed'));
      });
    }
    test(`rejected${tag ? ' (stdout)' : ''}`, () => {
      for (const req of [fakeReq({ url: '/nothing?x=1' }), oddReq({ host: undefined, url: '/\u0000"', remote: undefined })]) {
        const fields = { vhost: '_default_', host: req.headers.host, remote: req.socket.remoteAddress, method: req.method, path: pathOf(req), status: 404, outcome: 'rejected', reason: 'no mount "matches"' };
        expect(rejectedLine(head, req, 404, 'no mount "matches"', '_default_')).toBe(pinoLine(tag, fields, 'request rejected'));
      }
    });
    test(`status page${tag ? ' (stdout)' : ''}`, () => {
      const req = fakeReq({ url: '/jkstatus?cmd=list' });
      const fields = { host: req.headers.host, remote: req.socket.remoteAddress, method: req.method, path: pathOf(req), status: 200, ms: 0.3, member: 'jkstatus', outcome: 'status' };
      expect(statusLine(head, req, 200, 0.25, 'jkstatus')).toBe(pinoLine(tag, fields, 'request completed'));
    });
  }

  test('the time moves with the clock, not with the first line', () => {
    const head = new AccessLineHead(false);
    expect(head.at(NOW)).toContain('"time":"2026-12-08T01:02:03.456Z"');
    expect(head.at(NOW)).toBe(head.at(NOW));
    expect(head.at(NOW + 1)).toContain('"time":"2026-12-08T01:02:03.457Z"');
  });
});
