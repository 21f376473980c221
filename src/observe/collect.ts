// Metrics read at scrape time from the same snapshot the status page shows: member state and activation,
// lb values, busy counts, pool connections, and the balancer's and pools' own totals. Nothing here runs per
// request.

import { Counter, Gauge, type Registry } from 'prom-client';
import { STATE_TEXT } from '../balancer/index.js';
import type { AjpTarget } from '../front/targets.js';
import type { LbView, MemberView, ScrapeSnapshot } from './snapshot.js';

const ACTIVATIONS = ['ACT', 'DIS', 'STP'] as const;
type MemberLabel = 'lb' | 'member';

/**
 * Keeps exported totals monotonic when the object behind them is replaced (a reload that builds a new pool or
 * a balancer over fresh memory): the old total becomes the base of the new one, as Prometheus expects.
 */
export class MonotonicTotals {
  private readonly seen = new Map<string, { source: object; base: number; raw: number }>();

  value(key: string, source: object, raw: number): number {
    const e = this.seen.get(key);
    if (e === undefined) {
      this.seen.set(key, { source, base: 0, raw });
      return raw;
    }
    if (e.source !== source || raw < e.raw) {
      e.base += e.raw;
      e.source = source;
    }
    e.raw = raw;
    return e.base + raw;
  }
}

interface MemberRow {
  lb: string;
  member: string;
  /** Balancer shared memory (same buffer = same counters) or null for a worker used directly. */
  shm: object | null;
  target: AjpTarget | undefined;
}

export function registerScrapeMetrics(registry: Registry, snap: ScrapeSnapshot, extra: { directBytes: ReadonlyMap<string, { bytes: number }> }): void {
  const totals = new MonotonicTotals();
  const registers = [registry];

  /** Every (lb, member) pair plus direct workers (lb=""), with what each family needs. */
  const rows = (): MemberRow[] => {
    const s = snap.get();
    if (s === null) return [];
    const out: MemberRow[] = [];
    s.balancers.forEach((lb) => {
      lb.members.forEach((t, i) => out.push({ lb: lb.name, member: lb.balancer.names[i] ?? t.name, shm: lb.balancer.sharedBuffer, target: t }));
    });
    for (const t of s.direct) out.push({ lb: '', member: t.name, shm: null, target: t });
    return out;
  };

  const memberGauge = (name: string, help: string, read: (m: MemberView) => number): void => {
    new Gauge<MemberLabel>({
      name, help, labelNames: ['lb', 'member'], registers,
      collect() {
        this.reset();
        const s = snap.get();
        if (s === null) return;
        for (const lb of s.doc.lbs) for (const m of lb.members) this.labels(lb.name, m.name).set(read(m));
      },
    });
  };

  memberGauge('ajplb_member_up', '1 when the member takes new requests (activation ACT and state not ERR), else 0.', (m) => (m.usable ? 1 : 0));
  memberGauge('ajplb_member_lbfactor', 'Configured (or status-page) lbfactor of the member.', (m) => m.lbfactor);
  memberGauge('ajplb_member_lb_value', 'The member\'s lb_value: the lowest wins the next request without a session.', (m) => m.lbValue);
  memberGauge('ajplb_member_busy', 'Requests in flight on the member.', (m) => m.busy);
  memberGauge('ajplb_member_max_busy', 'Highest busy count since the last status-page reset.', (m) => m.maxBusy);
  memberGauge('ajplb_member_route_mismatch', '1 when Tomcat behind the member sets session ids whose jvmRoute matches no member (sessions not sticky).', (m) => (m.routeMismatch !== null ? 1 : 0));

  new Gauge<MemberLabel | 'state'>({
    name: 'ajplb_member_state', help: 'Member state as jkstatus names it: 1 for the current state, 0 for the others.',
    labelNames: ['lb', 'member', 'state'], registers,
    collect() {
      this.reset();
      const s = snap.get();
      if (s === null) return;
      for (const lb of s.doc.lbs) for (const m of lb.members) for (const st of STATE_TEXT) this.labels(lb.name, m.name, st).set(m.state === st ? 1 : 0);
    },
  });
  new Gauge<MemberLabel | 'activation'>({
    name: 'ajplb_member_activation', help: 'Member activation (ACT active, DIS disabled, STP stopped): 1 for the current one.',
    labelNames: ['lb', 'member', 'activation'], registers,
    collect() {
      this.reset();
      const s = snap.get();
      if (s === null) return;
      for (const lb of s.doc.lbs) for (const m of lb.members) for (const a of ACTIVATIONS) this.labels(lb.name, m.name, a).set(m.activation === a ? 1 : 0);
    },
  });

  const poolGauge = (name: string, help: string, read: (t: AjpTarget) => number): void => {
    new Gauge<MemberLabel>({
      name, help, labelNames: ['lb', 'member'], registers,
      collect() {
        this.reset();
        for (const r of rows()) if (r.target !== undefined) this.labels(r.lb, r.member).set(read(r.target));
      },
    });
  };
  poolGauge('ajplb_member_connections_open', 'AJP connections open to the member\'s Tomcat.', (t) => t.pool.stats.open);
  poolGauge('ajplb_member_connections_idle', 'Open AJP connections waiting in the pool.', (t) => t.pool.stats.idle);
  poolGauge('ajplb_member_connections_in_use', 'AJP connections carrying a request (or a CPing) now.', (t) => t.pool.busy);
  poolGauge('ajplb_member_connections_max', 'connection_pool_size: the most connections the pool opens.', (t) => t.pool.options.size);
  poolGauge('ajplb_member_pool_waiting', 'Requests waiting for a free pool slot now.', (t) => t.pool.stats.waiting);

  const poolCounter = (name: string, help: string, read: (t: AjpTarget) => number): void => {
    new Counter<MemberLabel>({
      name, help, labelNames: ['lb', 'member'], registers,
      collect() {
        this.reset();
        for (const r of rows()) {
          if (r.target === undefined) continue;
          this.labels(r.lb, r.member).inc(totals.value(`${name}\0${r.lb}\0${r.member}`, r.target.pool, read(r.target)));
        }
      },
    });
  };
  poolCounter('ajplb_member_pool_waits_total', 'Requests that had to wait for a free pool slot.', (t) => t.pool.stats.waitsTotal);
  poolCounter('ajplb_member_pool_acquire_timeouts_total', 'Waits for a pool slot that ran out of connection_acquire_timeout.', (t) => t.pool.stats.acquireTimeouts);
  poolCounter('ajplb_member_connects_total', 'AJP connections opened.', (t) => t.pool.stats.connects);
  poolCounter('ajplb_member_connect_errors_total', 'AJP connection attempts that failed.', (t) => t.pool.stats.connectErrors);
  poolCounter('ajplb_member_ping_failures_total', 'CPing probes that got no CPong in time.', (t) => t.pool.stats.pingFailures);

  const balancerCounter = (name: string, help: string, read: (m: MemberView) => number, direct?: (member: string) => number): void => {
    new Counter<MemberLabel>({
      name, help, labelNames: ['lb', 'member'], registers,
      collect() {
        this.reset();
        const s = snap.get();
        if (s === null) return;
        s.doc.lbs.forEach((lb, i) => {
          const shm = s.balancers[i]?.balancer.sharedBuffer ?? lb;
          for (const m of lb.members) this.labels(lb.name, m.name).inc(totals.value(`${name}\0${lb.name}\0${m.name}`, shm, read(m)));
        });
        if (direct !== undefined) for (const t of s.direct) this.labels('', t.name).inc(direct(t.name));
      },
    });
  };
  balancerCounter('ajplb_member_elected_total', 'Attempts the balancer sent to the member (jkstatus "elected", never reset).', (m) => m.electedTotal);
  balancerCounter('ajplb_member_attempt_errors_total', 'Attempts on the member that failed and counted against it (jkstatus "errors", never reset).', (m) => m.errorsTotal);
  balancerCounter('ajplb_member_client_errors_total', 'Attempts on the member that the client broke off.', (m) => m.clientErrorsTotal);
  balancerCounter('ajplb_member_reply_timeouts_total', 'Attempts on the member that hit reply_timeout.', (m) => m.replyTimeoutsTotal);
  balancerCounter('ajplb_member_request_bytes_total', 'Request body bytes read from clients and sent to the member (lb members only).', (m) => m.bytesInTotal);
  balancerCounter('ajplb_member_response_bytes_total', 'Response body bytes from the member written to clients.', (m) => m.bytesOutTotal,
    (member) => extra.directBytes.get(member)?.bytes ?? 0);

  const lbGauge = (name: string, help: string, read: (lb: LbView) => number): void => {
    new Gauge<'lb'>({
      name, help, labelNames: ['lb'], registers,
      collect() {
        this.reset();
        const s = snap.get();
        if (s === null) return;
        for (const lb of s.doc.lbs) this.labels(lb.name).set(read(lb));
      },
    });
  };
  lbGauge('ajplb_lb_busy', 'Requests in flight on the lb worker.', (lb) => lb.busy);
  lbGauge('ajplb_lb_max_busy', 'Highest busy count of the lb worker.', (lb) => lb.maxBusy);
  lbGauge('ajplb_lb_usable_members', 'Members that take new requests (what /readyz needs at least one of).', (lb) => lb.usableMembers);
  new Gauge<'lb' | 'health'>({
    name: 'ajplb_lb_members', help: 'Members by jkstatus health: good (ACT and OK), bad (STP or ERR), degraded (the rest).',
    labelNames: ['lb', 'health'], registers,
    collect() {
      this.reset();
      const s = snap.get();
      if (s === null) return;
      for (const lb of s.doc.lbs) {
        this.labels(lb.name, 'good').set(lb.good);
        this.labels(lb.name, 'degraded').set(lb.degraded);
        this.labels(lb.name, 'bad').set(lb.bad);
      }
    },
  });
}
