// The admin listener and a mounted status worker, over real HTTP on 127.0.0.1 (ephemeral ports). The runtime's
// workers point at ports nobody listens on; nothing here forwards a request, so nothing connects to them.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeForwarding, sample } from '../unit/observe/helpers.js';
import { get, start, stop, TOKEN, type Started } from './observe-helpers.js';

async function post(url: string, opts: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const r = await request(url, { method: 'POST', headers, body: JSON.stringify(opts.body ?? {}) });
  return { status: r.statusCode, headers: r.headers, json: (await r.body.json()) as Record<string, unknown> };
}

describe('admin listener, read-only (no token configured)', () => {
  let s: Started | undefined;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(() => stop(s));

  test('/livez is 200 even while draining', async () => {
    s!.draining.value = true;
    try {
      const r = await get(`${s!.base}/livez`);
      expect(r.status).toBe(200);
      expect(r.text).toBe('ok\n');
    } finally {
      s!.draining.value = false;
    }
  });

  test('/readyz: 200 with usable members, 503 with a JSON reason otherwise', async () => {
    expect((await get(`${s!.base}/readyz`)).status).toBe(200);
    s!.draining.value = true;
    const r = await get(`${s!.base}/readyz`);
    s!.draining.value = false;
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text)).toEqual({ ready: false, reason: 'draining' });
  });

  test('/metrics is Prometheus text with the ajplb families', async () => {
    s!.obs.observer.onForwardDone!(fakeForwarding({ lb: s!.rt.lb(), worker: s!.rt.lb().members[0] }));
    const r = await get(`${s!.base}/metrics`);
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toContain('text/plain');
    expect(sample(r.text, 'ajplb_member_requests_total{lb="lb",member="w1",code_class="2xx"}')).toBe(1);
    expect(sample(r.text, 'ajplb_member_up{lb="lb",member="w2"}')).toBe(1);
    expect(r.text).toContain('ajplb_build_info{version="0.0.1-test"');
  });

  test('/api/status lists every lb and member with the jkstatus fields', async () => {
    const r = await get(`${s!.base}/api/status`);
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.text) as { lbs: Array<{ name: string; members: Array<Record<string, unknown>> }>; workers: unknown[]; actions: unknown };
    expect(doc.actions).toEqual({ enabled: false, reason: expect.stringContaining('--admin-token') });
    expect(doc.lbs.map((l) => l.name)).toEqual(['lb']);
    const w1 = doc.lbs[0]!.members[0]!;
    for (const k of ['state', 'activation', 'lbfactor', 'lbValue', 'busy', 'maxBusy', 'connections', 'errors', 'lastError', 'elected', 'bytesIn', 'bytesOut', 'routeMismatch']) {
      expect(w1, k).toHaveProperty(k);
    }
    expect(w1).toMatchObject({ name: 'w1', host: '127.0.0.1', port: 1, state: 'OK/IDLE', activation: 'ACT', connections: { open: 0, idle: 0, inUse: 0, max: 10 } });
    expect(doc.workers).toEqual([expect.objectContaining({ name: 'solo' })]);
  });

  test('/status is a self-contained HTML page with a strict CSP and the data embedded', async () => {
    const r = await get(`${s!.base}/status`);
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toContain('text/html');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(r.text).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(r.text).toContain('id="ajplb-initial"');
    expect(r.text).toContain('"statusUrl":"/api/status"');
    expect(r.text).toContain('data-enabled="0"');
    expect((await get(`${s!.base}/`)).status).toBe(302);
  });

  test('actions are refused with 403 when no token is configured', async () => {
    const r = await post(`${s!.base}/api/lb/lb/member/w1/stop`, { token: 'anything' });
    expect(r.status).toBe(403);
    expect(s!.rt.lb().balancer.snapshot().members[0]!.activation).toBe('ACT');
  });

  test('unknown paths 404, wrong methods 405', async () => {
    expect((await get(`${s!.base}/nope`)).status).toBe(404);
    expect((await get(`${s!.base}/api/lb/lb/member/w1/stop`)).status).toBe(405);
    expect((await post(`${s!.base}/metrics`)).status).toBe(405);
  });
});

describe('admin listener with an admin token', () => {
  let s: Started | undefined;
  beforeAll(async () => {
    s = await start(TOKEN);
  });
  afterAll(() => stop(s));

  test('401 without or with a wrong bearer token, 200 with the right one', async () => {
    const url = `${s!.base}/api/lb/lb/member/w1/stop`;
    const none = await post(url);
    expect(none.status).toBe(401);
    expect(String(none.headers['www-authenticate'])).toContain('Bearer');
    expect((await post(url, { token: 'wrong' })).status).toBe(401);
    expect(s!.rt.lb().balancer.snapshot().members[0]!.activation).toBe('ACT');
    const ok = await post(url, { token: TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ ok: true, activation: 'STP' });
  });

  test('the change shows in /api/status, /metrics and /readyz', async () => {
    await post(`${s!.base}/api/lb/lb/member/w1/stop`, { token: TOKEN });
    const doc = JSON.parse((await get(`${s!.base}/api/status`)).text) as { overrides: unknown[]; lbs: Array<{ members: Array<{ activation: string; override: unknown }> }> };
    expect(doc.lbs[0]!.members[0]).toMatchObject({ activation: 'STP', override: { activation: 'STP' } });
    expect(doc.overrides).toEqual([{ lb: 'lb', member: 'w1', activation: 'STP' }]);
    const metrics = (await get(`${s!.base}/metrics`)).text;
    expect(sample(metrics, 'ajplb_member_activation{lb="lb",member="w1",activation="STP"}')).toBe(1);
    expect((await get(`${s!.base}/readyz`)).status).toBe(200);
    await post(`${s!.base}/api/lb/lb/member/w2/disable`, { token: TOKEN });
    const notReady = await get(`${s!.base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text)).toEqual({ ready: false, reason: 'no usable member', lbs: ['lb'] });
    await post(`${s!.base}/api/lb/lb/member/w1/activate`, { token: TOKEN });
    await post(`${s!.base}/api/lb/lb/member/w2/activate`, { token: TOKEN });
    expect((await get(`${s!.base}/readyz`)).status).toBe(200);
  });

  test('lbfactor takes its value from a JSON body or ?value=', async () => {
    expect((await post(`${s!.base}/api/lb/lb/member/w2/lbfactor`, { token: TOKEN, body: { value: 5 } })).json).toMatchObject({ lbfactor: 5 });
    expect((await post(`${s!.base}/api/lb/lb/member/w2/lbfactor?value=6`, { token: TOKEN })).json).toMatchObject({ lbfactor: 6 });
    expect((await post(`${s!.base}/api/lb/lb/member/w2/lbfactor`, { token: TOKEN, body: { value: 'x' } })).status).toBe(400);
    expect((await post(`${s!.base}/api/lb/lb/member/w2/explode`, { token: TOKEN })).status).toBe(404);
    expect((await post(`${s!.base}/api/lb/nolb/member/w2/stop`, { token: TOKEN })).status).toBe(404);
    expect((await post(`${s!.base}/api/lb/lb/member/w1/recover`, { token: TOKEN })).status).toBe(409);
    expect((await post(`${s!.base}/api/lb/lb/member/w1/reset`, { token: TOKEN })).status).toBe(200);
  });

  test('the page offers the token form and action buttons carry stable ids in the script', async () => {
    const r = await get(`${s!.base}/status`);
    expect(r.text).toContain('id="token-form" data-enabled="1"');
    expect(r.text).toContain('id="admin-token"');
    expect(r.text).toContain("'data-action': a");
    expect(r.text).toContain("memberId(lb, m.name) + '-' + a");
  });

  test('a mounted status worker serves the page and JSON, and takes actions with the token', async () => {
    const page = await get(`${s!.front}/jkstatus`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('"statusUrl":"/jkstatus?mime=json"');
    expect(page.text).toContain('"actionMode":"query"');
    const json = await get(`${s!.front}/jkstatus?mime=json`);
    expect(JSON.parse(json.text)).toMatchObject({ actions: { enabled: true }, lbs: [{ name: 'lb' }] });
    const act = await post(`${s!.front}/jkstatus?cmd=action&lb=lb&member=w2&action=disable`, { token: TOKEN });
    expect(act.status).toBe(200);
    expect(s!.rt.lb().balancer.snapshot().members[1]!.activation).toBe('DIS');
    expect((await post(`${s!.front}/jkstatus/api/lb/lb/member/w2/activate`, { token: TOKEN })).status).toBe(200);
    expect((await post(`${s!.front}/jkstatus?cmd=action&lb=lb&member=w2&action=stop`)).status).toBe(401);
  });

  test('a read_only status worker shows the page but refuses actions even with the token', async () => {
    const page = await get(`${s!.front}/jkro`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-enabled="0"');
    const act = await post(`${s!.front}/jkro?cmd=action&lb=lb&member=w2&action=stop`, { token: TOKEN });
    expect(act.status).toBe(403);
    expect(s!.rt.lb().balancer.snapshot().members[1]!.activation).toBe('ACT');
  });
});
