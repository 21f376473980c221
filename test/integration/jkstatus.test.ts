// mod_jk's scripting interface of a status worker (cmd=…&mime=txt|prop|xml) on ajplb's mounted status worker.
// The byte-level comparison with the real mod_jk is test/tomcat/mod-jk-parity-jkstatus.test.ts.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeForwarding, sample } from '../unit/observe/helpers.js';
import { start, stop, TOKEN, type Started } from './observe-helpers.js';

async function jk(s: Started, query: string, opts: { token?: string; path?: string; method?: string } = {}) {
  const headers: Record<string, string> = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` };
  const r = await request(`${s.front}${opts.path ?? '/jkstatus'}?${query}`, { method: (opts.method ?? 'GET') as 'GET', headers });
  return { status: r.statusCode, type: String(r.headers['content-type']), text: await r.body.text() };
}

/** `worker.a.b=c` lines as a map (the last value of a repeated key wins, as a Java properties reader has it). */
function props(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

describe('jkstatus commands on a mounted status worker', () => {
  let s: Started | undefined;
  const relayed: unknown[] = [];
  beforeAll(async () => {
    s = await start(TOKEN, (a) => relayed.push(a));
  });
  afterAll(() => stop(s));

  test('list as properties: every lb, member and direct worker with mod_jk\'s keys, ending in the result', async () => {
    const r = await jk(s!, 'mime=prop');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain');
    const p = props(r.text);
    expect(p.get('worker.lb_count')).toBe('1');
    expect(p.get('worker.list')).toBe('lb');
    expect(p.get('worker.lb.method')).toBe('Request');
    expect(p.get('worker.lb.member_count')).toBe('2');
    expect(p.get('worker.w1.activation')).toBe('ACT');
    expect(p.get('worker.w1.state')).toBe('OK/IDLE');
    expect(p.get('worker.w2.port')).toBe('2');
    expect(p.get('worker.ajp_count')).toBe('1');
    expect(p.get('worker.solo.list')).toBe('solo');
    expect(r.text).toMatch(/worker\.lb\.balance_workers=w1\nworker\.w1\.type=ajp13\n/);
    expect(r.text.endsWith('worker.result.type=OK\nworker.result.message=Action finished\n')).toBe(true);
  });

  test('a worker used directly: its request counts as mod_jk lists them', async () => {
    const solo = s!.rt.worker('solo');
    s!.obs.observer.onForwardDone!(fakeForwarding({ worker: solo, attempts: 1, bytesOut: 4096, bytesIn: 10 }));
    const failed = fakeForwarding({ worker: solo, attempts: 1, status: 504, outcome: 'reply_timeout' });
    s!.obs.observer.onAttemptFailed!(failed, solo, 'reply_timeout');
    s!.obs.observer.onForwardDone!(failed);
    const p = props((await jk(s!, 'cmd=show&w=solo&mime=prop')).text);
    expect([...p].filter(([k]) => k.startsWith('worker.solo.') && !k.includes('.map.')).map(([k]) => k.slice(12))).toEqual([
      'list', 'type', 'host', 'port', 'address', 'source', 'connection_pool_timeout', 'ping_timeout', 'connect_timeout',
      'prepost_timeout', 'reply_timeout', 'retries', 'connection_ping_interval', 'recovery_options', 'busy_limit',
      'max_packet_size', 'used', 'errors', 'client_errors', 'reply_timeouts', 'transferred', 'read', 'busy', 'max_busy',
      'connected', 'max_connected', 'map_count', 'last_reset_at', 'last_reset_ago',
    ]);
    expect(p.get('worker.solo.used')).toBe('2');
    expect(p.get('worker.solo.errors')).toBe('1');
    expect(p.get('worker.solo.reply_timeouts')).toBe('1');
    expect(p.get('worker.solo.transferred')).toBe('10');
    expect(p.get('worker.solo.read')).toBe('4196');
    expect((await jk(s!, 'cmd=reset&w=solo&mime=txt', { token: TOKEN })).text).toContain('type=OK');
    expect(props((await jk(s!, 'cmd=show&w=solo&mime=prop')).text).get('worker.solo.used')).toBe('0');
    // The exported counter never goes back.
    expect(sample(await s!.obs.registry.metrics(), 'ajplb_member_response_bytes_total{lb="",member="solo"}')).toBe(4196);
  });

  test('txt and xml carry the same member data; xml is well formed enough to find it', async () => {
    const txt = await jk(s!, 'mime=txt');
    expect(txt.text).toMatch(/^Balancer Worker: name=lb type=lb sticky_session=True /m);
    expect(txt.text).toMatch(/^Member: name=w1 type=ajp13 host=127\.0\.0\.1 port=1 .* activation=ACT lbfactor=1 route="w1" /m);
    expect(txt.text).toMatch(/^AJP Worker: name=solo /m);
    const xml = await jk(s!, 'mime=xml');
    expect(xml.type).toBe('text/xml');
    expect(xml.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8" \?>\n<jk:status\n {2}xmlns:jk="http:\/\/tomcat.apache.org">/);
    expect(xml.text).toMatch(/<jk:member\n\s+name="w2"\n\s+type="ajp13"/);
    expect(xml.text.trimEnd().endsWith('</jk:status>')).toBe(true);
  });

  test('show: one lb, or one of its members; errors as mod_jk words them', async () => {
    const one = await jk(s!, 'cmd=show&w=lb&sw=w2&mime=txt');
    expect(one.text).not.toContain('Member: name=w1 ');
    expect(one.text).toContain('Member: name=w2 ');
    expect(one.text).not.toContain('Balancer Workers: count');
    expect((await jk(s!, 'cmd=show&mime=txt')).text).toContain('Result: type=ERROR message="NULL or EMPTY worker param"');
    expect((await jk(s!, 'cmd=show&w=nope&mime=txt')).text).toContain('message="Could not find given worker"');
    expect((await jk(s!, 'cmd=show&w=lb&sw=nope&mime=txt')).text).toContain('message="could not find sub worker"');
    expect((await jk(s!, 'cmd=frob&mime=txt')).text).toBe('Result: type=ERROR message="Invalid command."\n');
    expect((await jk(s!, 'cmd=dump&mime=txt')).text).toContain('ajplb --dump');
  });

  test('update vwa/vwf with the admin token changes the member, answers the result line only, and is relayed', async () => {
    const r = await jk(s!, 'cmd=update&from=list&w=lb&sw=w1&vwa=1&mime=txt', { token: TOKEN });
    expect(r).toMatchObject({ status: 200, text: 'Result: type=OK message="Action finished"\n' });
    const lb = s!.rt.lb();
    expect(lb.balancer.snapshot().members[0]?.activation).toBe('DIS');
    expect(props((await jk(s!, 'mime=prop')).text).get('worker.w1.activation')).toBe('DIS');
    expect((await jk(s!, 'cmd=update&w=lb&sw=w1&vwa=S&vwf=3&mime=prop', { token: TOKEN })).text).toContain('worker.result.type=OK');
    expect(lb.balancer.snapshot().members[0]).toMatchObject({ activation: 'STP', lbfactor: 3 });
    expect((await jk(s!, 'cmd=update&w=lb&sw=*&vwa=0&mime=txt', { token: TOKEN })).text).toContain('type=OK');
    expect(lb.balancer.snapshot().members.map((m) => m.activation)).toEqual(['ACT', 'ACT']);
    expect(relayed).toContainEqual({ lb: 'lb', member: 'w1', action: 'disable', value: undefined });
    expect(relayed).toContainEqual({ lb: 'lb', member: 'w1', action: 'lbfactor', value: 3 });
    expect(relayed).toContainEqual({ lb: 'lb', member: 'w2', action: 'activate', value: undefined });
    expect((await jk(s!, 'cmd=update&w=lb&sw=w1&vwf=1&mime=txt', { token: TOKEN })).text).toContain('type=OK');
  });

  test('without the token, or on a read_only worker, nothing changes and the answer says why', async () => {
    const lb = s!.rt.lb();
    const none = await jk(s!, 'cmd=update&w=lb&sw=w2&vwa=2&mime=txt');
    expect(none.status).toBe(401);
    expect(none.text).toContain('Result: type=ERROR message="Access denied.');
    const ro = await jk(s!, 'cmd=update&w=lb&sw=w2&vwa=2&mime=txt', { token: TOKEN, path: '/jkro' });
    expect(ro.status).toBe(403);
    expect(ro.text).toBe('Result: type=ERROR message="This command is not allowed in read only mode."\n');
    expect(lb.balancer.snapshot().members[1]?.activation).toBe('ACT');
  });

  test('what ajplb cannot do is refused by name, not ignored', async () => {
    const lb = s!.rt.lb();
    const bad = await jk(s!, 'cmd=update&w=lb&sw=w2&vwa=X&mime=txt', { token: TOKEN });
    expect(bad.text).toContain('type=ERROR message="Invalid activation X');
    expect((await jk(s!, 'cmd=update&w=lb&vlr=3&mime=txt', { token: TOKEN })).text).toContain('not vlr');
    expect((await jk(s!, 'cmd=update&w=lb&sw=w2&vwn=other&mime=txt', { token: TOKEN })).text).toContain('not vwn');
    expect((await jk(s!, 'cmd=update&w=lb&att=vwa&val0=2&val1=2&mime=txt', { token: TOKEN })).text).toContain('att/valN');
    expect((await jk(s!, 'cmd=update&w=lb&sw=w2&vwf=0&mime=txt', { token: TOKEN })).text).toContain('type=ERROR message="Update failed: lbfactor needs');
    expect((await jk(s!, 'cmd=recover&w=lb&sw=w2&mime=txt', { token: TOKEN })).text).toContain('message="Marking worker for recovery failed"');
    expect(lb.balancer.snapshot().members[1]).toMatchObject({ activation: 'ACT', lbfactor: 1 });
  });

  test('without a mime an update answers HTML; list without a mime is still the status page, json its data', async () => {
    const html = await jk(s!, 'cmd=update&w=lb&sw=w2&vwa=0', { token: TOKEN });
    expect(html.type).toContain('text/html');
    expect(html.text).toContain('Result: OK - Action finished');
    expect((await jk(s!, '')).text).toContain('<!DOCTYPE html>');
    expect((await jk(s!, 'mime=json')).type).toContain('application/json');
  });

  test('reset of a whole lb clears every member\'s counters; recover takes a member out of ERR', async () => {
    const lb = s!.rt.lb();
    for (const m of [0, 1]) {
      expect(lb.balancer.begin(m, { sessionIds: null, stateless: false, stickyIgnore: false, activations: null })).toBe(true);
      lb.balancer.end(m, 'connect_error');
    }
    expect(lb.balancer.snapshot().members.map((m) => [m.state, m.elected, m.errors])).toEqual([['ERR', 1, 1], ['ERR', 1, 1]]);
    expect((await jk(s!, 'cmd=recover&w=lb&sw=w1&mime=txt', { token: TOKEN })).text).toContain('type=OK');
    expect(lb.balancer.snapshot().members[0]?.state).not.toBe('ERR');
    expect((await jk(s!, 'cmd=reset&w=lb&mime=txt', { token: TOKEN })).text).toContain('type=OK');
    expect(lb.balancer.snapshot().members.map((m) => [m.state, m.elected, m.errors])).toEqual([['OK/IDLE', 0, 0], ['OK/IDLE', 0, 0]]);
    expect(relayed.filter((a) => (a as { action: string }).action === 'reset')).toHaveLength(2);
  });
});
