import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { createObservability, type Observability } from '../../../src/observe/index.js';
import { LATENCY_BUCKETS } from '../../../src/observe/metrics.js';
import { MonotonicTotals } from '../../../src/observe/collect.js';
import { FakeRuntime, fakeForwarding, fakeReq, sample, vhost, workersConfig } from './helpers.js';

const PICK = { sessionIds: null, stateless: false, stickyIgnore: false, activations: null };

let runtimes: FakeRuntime[] = [];
afterEach(() => {
  for (const r of runtimes) r.close();
  runtimes = [];
});

function setup(rt = new FakeRuntime(), extra: { defaultMetrics?: boolean } = {}): { rt: { current: FakeRuntime }; obs: Observability } {
  runtimes.push(rt);
  const holder = { current: rt };
  const obs = createObservability({
    getRuntime: () => holder.current, isDraining: () => false, version: '9.8.7', accessLog: false, defaultMetrics: extra.defaultMetrics ?? false,
    stdout: { write: () => true },
  });
  return { rt: holder, obs };
}

/** One attempt on member i of the lb, through the balancer as the forwarder drives it. */
function attempt(rt: FakeRuntime, i: number, outcome: 'ok' | 'connect_error', bytesOut = 0): void {
  const b = rt.lb().balancer;
  expect(b.begin(i, PICK)).toBe(true);
  b.end(i, outcome, 10, bytesOut);
}

function typeOf(text: string, family: string): string | undefined {
  return new RegExp(`^# TYPE ${family} (\\w+)$`, 'm').exec(text)?.[1];
}

describe('scrape after observed requests', () => {
  test('an absolute-form request counts under the vhost its target names, not its Host header', async () => {
    const { rt, obs } = setup(new FakeRuntime(workersConfig(), [vhost('www.example.com')]));
    const f = fakeForwarding({ worker: rt.current.worker('solo'), host: 'other.invalid' });
    (f as unknown as { shape: { authority: string } }).shape.authority = 'www.example.com:8080';
    obs.observer.onForwardDone!(f);
    const text = await obs.registry.metrics();
    expect(sample(text, 'ajplb_http_requests_total{vhost="www.example.com",code_class="2xx"}')).toBe(1);
    expect(sample(text, 'ajplb_http_requests_total{vhost="_default_",code_class="2xx"}')).toBeUndefined();
  });

  test('request families carry lb/member/vhost labels and the right types', async () => {
    const { rt, obs } = setup(new FakeRuntime(workersConfig(), [vhost('www.example.com', '*.example.org')]));
    const lb = rt.current.lb();
    const [w1, w2] = lb.members;
    const on = obs.observer.onForwardDone!;
    on(fakeForwarding({ lb, worker: w1, status: 200, host: 'WWW.example.com:8080' }));
    on(fakeForwarding({ lb, worker: w1, status: 404, host: 'shop.example.org' }));
    on(fakeForwarding({ lb, worker: w2, status: 200, attempts: 3, host: 'evil.invalid' }));
    // Failed attempts are reported as they happen; a client abort only at the end.
    const failed = fakeForwarding({ lb, worker: w2, status: 503, outcome: 'connect_error', errorCode: 'AJP_CONNECT', attempts: 2 });
    obs.observer.onAttemptFailed!(failed, w2!, 'connect_error');
    on(failed);
    on(fakeForwarding({ lb, worker: w1, status: 0, outcome: 'client_error', errorCode: 'AJP_CLIENT', clientAborted: true }));
    const timedOut = fakeForwarding({ lb, worker: w1, status: 504, outcome: 'reply_timeout' });
    obs.observer.onAttemptFailed!(timedOut, w1!, 'reply_timeout');
    on(timedOut);
    on(fakeForwarding({ lb, worker: null, status: 503, outcome: 'no_member', attempts: 0 }));
    on(fakeForwarding({ worker: rt.current.worker('solo'), status: 200, bytesOut: 4096 }));
    obs.observer.onRejected!(fakeReq({ host: 'www.example.com' }), 404, 'no mount matches');
    const text = await obs.registry.metrics();

    expect(typeOf(text, 'ajplb_http_requests_total')).toBe('counter');
    expect(sample(text, 'ajplb_http_requests_total{vhost="www.example.com",code_class="2xx"}')).toBe(2);
    expect(sample(text, 'ajplb_http_requests_total{vhost="www.example.com",code_class="4xx"}')).toBe(2);
    expect(sample(text, 'ajplb_http_requests_total{vhost="_default_",code_class="2xx"}')).toBe(1);
    expect(text).not.toContain('evil.invalid');
    expect(sample(text, 'ajplb_http_rejected_total{code="404"}')).toBe(1);
    expect(typeOf(text, 'ajplb_http_request_duration_seconds')).toBe('histogram');
    expect(sample(text, 'ajplb_http_request_duration_seconds_bucket{le="60",vhost="www.example.com"}')).toBeDefined();

    expect(sample(text, 'ajplb_member_requests_total{lb="lb",member="w1",code_class="2xx"}')).toBe(1);
    expect(sample(text, 'ajplb_member_requests_total{lb="lb",member="w1",code_class="none"}')).toBe(1);
    expect(sample(text, 'ajplb_member_requests_total{lb="",member="solo",code_class="2xx"}')).toBe(1);
    expect(typeOf(text, 'ajplb_member_errors_total')).toBe('counter');
    expect(sample(text, 'ajplb_member_errors_total{lb="lb",member="w2",kind="connect"}')).toBe(1);
    expect(sample(text, 'ajplb_member_errors_total{lb="lb",member="w1",kind="client_abort"}')).toBe(1);
    expect(sample(text, 'ajplb_member_errors_total{lb="lb",member="w1",kind="timeout"}')).toBe(1);
    expect(sample(text, 'ajplb_member_failovers_total{lb="lb",member="w2"}')).toBe(1);
    expect(sample(text, 'ajplb_lb_retries_total{lb="lb"}')).toBe(3);
    expect(sample(text, 'ajplb_lb_no_member_total{lb="lb"}')).toBe(1);
    expect(sample(text, 'ajplb_lb_requests_total{lb="lb",code_class="5xx"}')).toBe(3);
    expect(typeOf(text, 'ajplb_member_upstream_duration_seconds')).toBe('histogram');
    expect(sample(text, 'ajplb_member_upstream_duration_seconds_count{lb="lb",member="w1"}')).toBe(4);
    expect(sample(text, 'ajplb_member_response_bytes_total{lb="",member="solo"}')).toBe(4096);
  });

  test('latency buckets are the OpenTelemetry advice plus 30 s and 60 s', async () => {
    expect(LATENCY_BUCKETS).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60]);
  });

  test('state families are read from the balancer at scrape time', async () => {
    const { rt, obs } = setup();
    const b = rt.current.lb().balancer;
    b.setActivation(1, 'stopped');
    b.setLbfactor(0, 3);
    attempt(rt.current, 0, 'connect_error');
    const text = await obs.registry.metrics();
    expect(typeOf(text, 'ajplb_member_up')).toBe('gauge');
    expect(sample(text, 'ajplb_member_up{lb="lb",member="w1"}')).toBe(0);
    expect(sample(text, 'ajplb_member_up{lb="lb",member="w2"}')).toBe(0);
    expect(sample(text, 'ajplb_member_state{lb="lb",member="w1",state="ERR"}')).toBe(1);
    expect(sample(text, 'ajplb_member_state{lb="lb",member="w1",state="OK"}')).toBe(0);
    expect(sample(text, 'ajplb_member_activation{lb="lb",member="w2",activation="STP"}')).toBe(1);
    expect(sample(text, 'ajplb_member_activation{lb="lb",member="w2",activation="ACT"}')).toBe(0);
    expect(sample(text, 'ajplb_member_lbfactor{lb="lb",member="w1"}')).toBe(3);
    expect(sample(text, 'ajplb_member_attempt_errors_total{lb="lb",member="w1"}')).toBe(1);
    expect(sample(text, 'ajplb_member_elected_total{lb="lb",member="w1"}')).toBe(1);
    expect(sample(text, 'ajplb_lb_usable_members{lb="lb"}')).toBe(0);
    expect(sample(text, 'ajplb_member_connections_max{lb="lb",member="w1"}')).toBe(10);
    expect(sample(text, 'ajplb_member_connections_open{lb="",member="solo"}')).toBe(0);
    expect(typeOf(text, 'ajplb_member_pool_waits_total')).toBe('counter');
    expect(sample(text, 'ajplb_build_info{version="9.8.7",node="' + process.version + '"}')).toBe(1);
    expect(sample(text, 'ajplb_config_last_reload_success')).toBe(1);
  });

  test('exported counters never go backwards across a status-page reset', async () => {
    const { rt, obs } = setup();
    attempt(rt.current, 0, 'ok', 500);
    attempt(rt.current, 0, 'ok', 500);
    attempt(rt.current, 0, 'connect_error');
    const before = await obs.registry.metrics();
    expect(sample(before, 'ajplb_member_elected_total{lb="lb",member="w1"}')).toBe(3);
    rt.current.lb().balancer.resetMember(0);
    expect(rt.current.lb().balancer.snapshot().members[0]!.elected).toBe(0);
    const after = await obs.registry.metrics();
    for (const family of ['elected', 'attempt_errors', 'response_bytes', 'request_bytes']) {
      const series = `ajplb_member_${family}_total{lb="lb",member="w1"}`;
      expect(sample(after, series), series).toBeGreaterThanOrEqual(sample(before, series)!);
      expect(sample(after, series), series).toBeGreaterThan(0);
    }
    expect(sample(after, 'ajplb_member_response_bytes_total{lb="lb",member="w1"}')).toBe(1000);
  });

  test('counters never go backwards when a reload builds fresh balancers and pools', async () => {
    const { rt, obs } = setup();
    attempt(rt.current, 1, 'ok', 300);
    attempt(rt.current, 1, 'ok', 300);
    const before = await obs.registry.metrics();
    // Another pool size: new pools, and (as buildTargets does today) new balancer memory.
    const next = new FakeRuntime(workersConfig({ w2: { connectionPoolSize: 20 } }), [], rt.current.targets);
    runtimes.push(next);
    rt.current = next;
    attempt(next, 1, 'ok', 300);
    const after = await obs.registry.metrics();
    const elected = 'ajplb_member_elected_total{lb="lb",member="w2"}';
    expect(sample(before, elected)).toBe(2);
    expect(sample(after, elected)).toBe(3);
    expect(sample(after, 'ajplb_member_response_bytes_total{lb="lb",member="w2"}')).toBe(900);
    expect(sample(after, 'ajplb_member_connections_max{lb="lb",member="w2"}')).toBe(20);
  });

  test('MonotonicTotals: same source continues, a new source or a drop starts from the old total', () => {
    const t = new MonotonicTotals();
    const a = {};
    const b = {};
    expect(t.value('k', a, 5)).toBe(5);
    expect(t.value('k', a, 7)).toBe(7);
    expect(t.value('k', b, 1)).toBe(8);
    expect(t.value('k', b, 4)).toBe(11);
    expect(t.value('k', b, 0)).toBe(11);
  });

  test('naming: prefix, no URL labels, no bare up, process defaults present', async () => {
    const { obs } = setup(undefined, { defaultMetrics: true });
    obs.observer.onForwardDone!(fakeForwarding({ worker: null }));
    const text = await obs.registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toMatch(/^up[ {]/m);
    expect(text).not.toMatch(/(path|url|uri)="/);
    expect(text).not.toContain('token=secret');
    for (const m of obs.registry.getMetricsAsArray()) {
      const name = m.name;
      if (name.startsWith('process_') || name.startsWith('nodejs_')) continue;
      expect(name).toMatch(/^ajplb_[a-z0-9_]+$/);
      const type = String(m.type);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (name.includes('duration')) expect(name).toMatch(/_seconds$/);
    }
  });

  test('the hot path reuses labelled children: no labels() call after the first request per member', () => {
    const { rt, obs } = setup();
    const lb = rt.current.lb();
    const f = fakeForwarding({ lb, worker: lb.members[0] });
    obs.observer.onForwardDone!(f);
    const calls: string[] = [];
    for (const m of obs.registry.getMetricsAsArray()) {
      const metric = m as unknown as { labels: (...a: string[]) => unknown };
      const orig = metric.labels.bind(metric);
      metric.labels = (...a: string[]) => {
        calls.push(m.name);
        return orig(...a);
      };
    }
    for (let i = 0; i < 100; i++) obs.observer.onForwardDone!(f);
    expect(calls).toEqual([]);
  });
});

describe('docs and dashboard', () => {
  async function families(): Promise<string[]> {
    const { obs } = setup();
    return obs.registry.getMetricsAsArray().map((m) => m.name).concat(['ajplb_http_open_connections', 'ajplb_http_requests_in_flight']);
  }

  test('docs/metrics.md documents every ajplb_ family with a PromQL example', async () => {
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    for (const name of await families()) {
      expect(doc, name).toContain(`\`${name}\``);
    }
    expect(doc).toMatch(/```promql/);
  });

  test('the Grafana dashboard only queries families that exist', async () => {
    const dash = JSON.parse(readFileSync(new URL('../../../conf/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const known = new Set(await families());
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      for (const [name] of expr.matchAll(/ajplb_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        expect(known.has(name) || known.has(base), `${name} in ${expr}`).toBe(true);
      }
    }
  });
});
