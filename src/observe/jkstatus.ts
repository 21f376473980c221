// mod_jk's status worker as scripts drive it: ?cmd=list|show|version|update|reset|recover with mime=txt, prop or
// xml, w=<worker>, sw=<member>, and for update vwa=<activation> / vwf=<lbfactor> — what deploy scripts use to
// take a Tomcat out of the balancer and put it back (`cmd=update&w=lb&sw=was1&vwa=1`). Answers are written as
// mod_jk writes them (jkstatus-format.ts), result line included, so the same grep finds "type=OK".
// What differs, on purpose: changes need the admin token (Authorization: Bearer) like every other status
// action, where mod_jk leaves access to httpd's configuration; and an activation value mod_jk does not know
// is refused, where mod_jk would silently activate the member.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { wildcardRegExp } from '../config/matcher.js';
import type { AjpWorkerConfig, MountRule } from '../config/types.js';
import type { AjpTarget, LbTarget } from '../front/targets.js';
import type { AdminActions, AdminAuth, MemberAction } from './admin.js';
import { resetDirectStats, type DirectCounts, type DirectWorkerStats } from './metrics.js';
import { JK_CONTENT_TYPE, renderJkStatus, type JkAjp, type JkAtt, type JkBalancer, type JkDoc, type JkMap, type JkMember, type JkMime } from './jkstatus-format.js';
import { directWorkers, type RuntimeView } from './snapshot.js';
import { escapeHtml } from './status-page.js';

export interface JkStatusDeps {
  getRuntime(): RuntimeView;
  version: string;
  admin: AdminActions;
  auth: AdminAuth;
  logger: Logger;
  /** Request counts of the workers used without an lb, by name (absent until a worker's first request). */
  directStats?: ReadonlyMap<string, DirectWorkerStats> | undefined;
  /** Told of every member action taken (--procs repeats it in the other serving processes). */
  onAction?: ((a: { lb: string; member: string; action: MemberAction; value?: number | undefined }) => void) | undefined;
}

const READ_COMMANDS = new Set(['list', 'show', 'version']);
const CHANGE_COMMANDS = new Set(['update', 'reset', 'recover']);
const MIMES = new Set(['txt', 'prop', 'xml']);
const SUPPORTED_UPDATE = new Set(['vwa', 'vwf']);
/** Update parameters mod_jk knows (lb: vl*, member: vw*, ajp: va*) that ajplb cannot change at runtime. */
const UPDATE_PARAM = /^v[lwa][a-z]+$/;
const ACTIVATION: Record<string, MemberAction> = { a: 'activate', 0: 'activate', d: 'disable', 1: 'disable', s: 'stop', 2: 'stop' };
const LOCK_TEXT = { O: 'Optimistic', P: 'Pessimistic' } as const;

class JkError extends Error {}

function bool(b: boolean): string {
  return b ? 'True' : 'False';
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** strftime's %Y%m%d%H%M%S and %z in local time, as mod_jk prints them. */
function timeNow(now: Date): NonNullable<JkDoc['time']> {
  const datetime = `${now.getFullYear()}${pad2(now.getMonth() + 1)}${pad2(now.getDate())}${pad2(now.getHours())}${pad2(now.getMinutes())}${pad2(now.getSeconds())}`;
  const off = -now.getTimezoneOffset();
  const tz = `${off < 0 ? '-' : '+'}${pad2(Math.floor(Math.abs(off) / 60))}${pad2(Math.abs(off) % 60)}`;
  return { datetime, tz, unix: Math.floor(now.getTime() / 1000) };
}

function ajpConfigAtts(c: AjpWorkerConfig): JkAtt[] {
  return [
    ['type', 'ajp13'], ['host', c.host], ['port', c.port], ['address', `${c.host}:${c.port}`],
    ['source', c.source === '' ? 'undefined' : c.source], ['connection_pool_timeout', c.connectionPoolTimeoutSec],
    ['ping_timeout', c.pingTimeoutMs], ['connect_timeout', c.connectTimeoutMs], ['prepost_timeout', c.prepostTimeoutMs],
    ['reply_timeout', c.replyTimeoutMs], ['retries', c.retries], ['connection_ping_interval', c.connectionPingIntervalSec],
    ['recovery_options', c.recoveryOptions], ['busy_limit', c.busyLimit], ['max_packet_size', c.maxPacketSize],
  ];
}

function resetAtts(lastResetMs: number, nowMs: number): JkAtt[] {
  return [['last_reset_at', Math.floor(lastResetMs / 1000)], ['last_reset_ago', Math.max(0, Math.floor((nowMs - lastResetMs) / 1000))]];
}

/** `mainServer`: the name mod_jk prints for mounts outside any <VirtualHost> (its ServerName). */
function mapsOf(runtime: RuntimeView, worker: string, mainServer: string): JkMap[] {
  const out: JkMap[] = [];
  const add = (server: string, rules: readonly MountRule[]): void => {
    for (const r of rules) {
      if (r.worker !== worker) continue;
      const wild = r.pattern.includes('*') || r.pattern.includes('?');
      const type = `${r.disabled ? 'Disabled ' : ''}${r.exclude ? 'Unmount ' : ''}${wild ? 'Wildchar' : 'Exact'}`;
      const e = r.extensions;
      out.push({
        atts: [
          ['id', out.length + 1], ['server', server, true], ['uri', r.pattern, true], ['type', type, true],
          ['source', r.source === 'jkmount' ? 'JkMount' : r.source === 'uriworkermap' ? 'JkMountFile' : 'worker definition', true],
          ['reply_timeout', e.replyTimeoutMs ?? -1, true], ['sticky_ignore', e.stickyIgnore === true ? 1 : 0, true],
          ['stateless', e.stateless === true ? 1 : 0, true], ['fail_on_status', (e.failOnStatus ?? []).join(','), true],
          ['active', (e.active ?? []).join(','), true], ['disabled', (e.disabled ?? []).join(','), true],
          ['stopped', (e.stopped ?? []).join(','), true], ['use_server_errors', e.useServerErrors ?? 0, true],
        ],
      });
    }
  };
  add(mainServer, runtime.config.mounts ?? []);
  for (const v of runtime.config.vhosts) add(v.names[0] ?? '', v.mounts);
  return out;
}

/** An answer that is only mod_jk's result line. */
function resultOnly(ok: boolean, message: string): JkDoc {
  return { counts: false, balancers: [], ajps: [], result: { ok, message } };
}

export class JkStatus {
  /** A direct worker's counts start with its first request; before that, "since start". */
  private readonly startedMs = Date.now();

  constructor(private readonly d: JkStatusDeps) {}

  /**
   * Answers a mod_jk-style request and returns true; false when it is none (the status page, its JSON, ajplb's
   * own POST actions), which the caller then serves.
   */
  handle(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, readOnly: boolean): boolean {
    const cmd = q.get('cmd') ?? 'list';
    const mimeParam = q.get('mime') ?? 'html';
    const change = CHANGE_COMMANDS.has(cmd);
    if (!change && !MIMES.has(mimeParam)) return false;
    if (cmd === 'action') return false;
    const mime: JkMime | 'html' = MIMES.has(mimeParam) ? (mimeParam as JkMime) : 'html';
    let doc: JkDoc;
    let status = 200;
    try {
      if (mimeParam !== 'html' && !MIMES.has(mimeParam)) throw new JkError('Invalid mime type.');
      if (cmd === 'dump') throw new JkError('ajplb has no cmd=dump: run ajplb --dump for the configuration it uses');
      if (cmd === 'edit') throw new JkError('ajplb has no cmd=edit form: use cmd=update, or the status page');
      if (!READ_COMMANDS.has(cmd) && !change) throw new JkError('Invalid command.');
      if (change) {
        const auth = this.d.auth.check(req, readOnly);
        if (!auth.ok) {
          status = auth.status;
          throw new JkError(readOnly ? 'This command is not allowed in read only mode.' : `Access denied. ${auth.error}`);
        }
        this.change(cmd, q, req);
      }
      doc = this.document(cmd, q, req);
    } catch (err) {
      if (!(err instanceof JkError)) throw err;
      doc = resultOnly(false, err.message);
    }
    req.resume();
    const body = mime === 'html' ? htmlResult(doc, req.url ?? '') : renderJkStatus(doc, mime);
    res.writeHead(status, {
      'Content-Type': mime === 'html' ? 'text/html; charset=utf-8' : JK_CONTENT_TYPE[mime],
      'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-cache', Pragma: 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  private findLb(name: string): LbTarget | undefined {
    return this.d.getRuntime().targets.balancers.find((b) => b.name === name);
  }

  /** w (and sw) as mod_jk checks them: w names an lb or a worker used directly, sw one of the lb's members. */
  private target(q: URLSearchParams, wildcard: boolean): { lb?: LbTarget; ajp?: AjpTarget; members: string[] } {
    const w = q.get('w') ?? '';
    if (w === '') throw new JkError('NULL or EMPTY worker param');
    const lb = this.findLb(w);
    if (lb === undefined) {
      const ajp = directWorkers(this.d.getRuntime().targets).find((t) => t.name === w);
      if (ajp === undefined) throw new JkError('Could not find given worker');
      return { ajp, members: [] };
    }
    const sw = q.get('sw');
    if (sw === null || sw === '') return { lb, members: [] };
    // mod_jk matches sw with jk_wildchar_match, as it matches mounts.
    const re = wildcard ? wildcardRegExp(sw) : null;
    const members = lb.balancer.names.filter((n) => (re === null ? n === sw : re.test(n)));
    if (members.length === 0) throw new JkError('could not find sub worker');
    return { lb, members };
  }

  private change(cmd: string, q: URLSearchParams, req: IncomingMessage): void {
    const t = this.target(q, cmd === 'update');
    const remote = req.socket.remoteAddress;
    if (t.lb === undefined) {
      if (cmd === 'update' && [...q.keys()].some((k) => UPDATE_PARAM.test(k))) throw new JkError('ajplb cannot change an ajp13 worker at runtime (edit workers.properties and reload)');
      if (cmd === 'recover') throw new JkError('Marking worker for recovery failed');
      if (cmd === 'reset') {
        const stats = this.d.directStats?.get(t.ajp!.name);
        if (stats !== undefined) resetDirectStats(stats, Date.now());
        this.d.logger.info({ worker: t.ajp!.name, action: 'reset', remote }, 'jkstatus action');
      }
      return;
    }
    const lb = t.lb;
    const members = t.members.length > 0 ? t.members : cmd === 'reset' ? [...lb.balancer.names] : [];
    const actions: Array<{ action: MemberAction; value?: number }> = [];
    if (cmd === 'update') {
      const unsupported = [...q.keys()].filter((k) => UPDATE_PARAM.test(k) && !SUPPORTED_UPDATE.has(k));
      if (unsupported.length > 0) throw new JkError(`ajplb changes only vwa (activation) and vwf (lbfactor) at runtime, not ${unsupported.join(', ')}`);
      if (q.has('att')) throw new JkError('ajplb does not take the edit form\'s att/valN changes: send sw=<member> with vwa or vwf');
      if (members.length === 0 && (q.has('vwa') || q.has('vwf'))) throw new JkError('vwa and vwf need sw=<member>');
      const vwa = q.get('vwa');
      if (vwa !== null) {
        const action = ACTIVATION[vwa.charAt(0).toLowerCase()];
        if (action === undefined) throw new JkError(`Invalid activation ${vwa}: use 0/A (active), 1/D (disabled) or 2/S (stopped)`);
        actions.push({ action });
      }
      const vwf = q.get('vwf');
      if (vwf !== null) actions.push({ action: 'lbfactor', value: Number(vwf) });
    } else if (cmd === 'reset') {
      actions.push({ action: 'reset' });
    } else {
      if (members.length === 0) throw new JkError('Marking worker for recovery failed');
      actions.push({ action: 'recover' });
    }
    for (const member of members) {
      for (const a of actions) {
        const r = this.d.admin.run(lb.name, member, a.action, a.value);
        if (r.status !== 200) {
          if (a.action === 'recover') throw new JkError('Marking worker for recovery failed');
          throw new JkError(`Update failed: ${String(r.body['error'] ?? r.status)}`);
        }
        this.d.logger.info({ lb: lb.name, member, action: a.action, value: a.value, remote }, 'jkstatus action');
        this.d.onAction?.({ lb: lb.name, member, action: a.action, value: a.value });
      }
    }
    if (cmd === 'reset' && t.members.length === 0) lb.balancer.resetLbCounters();
  }

  private document(cmd: string, q: URLSearchParams, req: IncomingMessage): JkDoc {
    // mod_jk answers a change with its result line only.
    if (CHANGE_COMMANDS.has(cmd)) return resultOnly(true, 'Action finished');
    const now = new Date();
    const host = (req.headers.host ?? '').replace(/:\d+$/, '') || (req.socket.localAddress ?? '');
    const doc: JkDoc = {
      server: { name: host, port: req.socket.localPort ?? 0 },
      time: timeNow(now),
      software: { webServer: `ajplb/${this.d.version}`, jkVersion: `ajplb/${this.d.version}` },
      counts: cmd === 'list',
      balancers: [],
      ajps: [],
      result: { ok: true, message: 'Action finished' },
    };
    if (cmd === 'version') return doc;
    const runtime = this.d.getRuntime();
    const nowMs = now.getTime();
    if (cmd === 'show') {
      const t = this.target(q, false);
      if (t.lb !== undefined) doc.balancers.push(this.balancer(runtime, host, t.lb, nowMs, t.members));
      if (t.ajp !== undefined) doc.ajps.push(this.ajp(runtime, host, t.ajp, nowMs));
      return doc;
    }
    for (const lb of runtime.targets.balancers) doc.balancers.push(this.balancer(runtime, host, lb, nowMs, []));
    for (const w of directWorkers(runtime.targets)) doc.ajps.push(this.ajp(runtime, host, w, nowMs));
    return doc;
  }

  private balancer(runtime: RuntimeView, server: string, lb: LbTarget, nowMs: number, only: string[]): JkBalancer {
    const snap = lb.balancer.snapshot();
    const c = lb.config;
    const maps = mapsOf(runtime, lb.name, server);
    const ttm = snap.timeToMaintainSec;
    const maintainSec = lb.balancer.maintainSec;
    const members: JkMember[] = [];
    snap.members.forEach((m, i) => {
      if (only.length > 0 && !only.includes(m.name)) return;
      const target = lb.members[i];
      if (target === undefined) return;
      const pool = target.pool.stats;
      members.push({
        name: m.name,
        atts: [
          ...ajpConfigAtts(target.config),
          ['activation', m.activation], ['lbfactor', m.lbfactor], ['route', m.route, true], ['redirect', m.redirect, true],
          ['domain', m.domain, true], ['distance', m.distance], ['state', m.state], ['lbmult', m.lbMult], ['lbvalue', m.lbValue],
          ['elected', m.elected], ['sessions', m.sessions], ['errors', m.errors], ['client_errors', m.clientErrors],
          ['reply_timeouts', m.replyTimeouts], ['transferred', m.bytesIn], ['read', m.bytesOut], ['busy', m.busy],
          ['max_busy', m.maxBusy], ['connected', pool.open], ['max_connected', pool.maxOpen],
          ['time_to_recover_min', m.timeToRecoverSec ?? 0], ['time_to_recover_max', m.timeToRecoverSec === null ? 0 : m.timeToRecoverSec + maintainSec],
        ],
        reset: resetAtts(m.lastResetMs, nowMs),
      });
    });
    return {
      name: lb.name,
      atts: [
        ['type', 'lb'], ['sticky_session', bool(c.stickySession)], ['sticky_session_force', bool(c.stickySessionForce)],
        ['retries', c.retries], ['recover_time', c.recoverTimeSec], ['error_escalation_time', c.errorEscalationTimeSec],
        ['max_reply_timeouts', c.maxReplyTimeouts], ['method', snap.method], ['lock', LOCK_TEXT[c.lock]],
        ['member_count', snap.members.length], ['good', snap.good], ['degraded', snap.degraded], ['bad', snap.bad],
        ['busy', snap.busy], ['max_busy', snap.maxBusy], ['map_count', maps.length],
        ['time_to_maintenance_min', ttm ?? 0], ['time_to_maintenance_max', ttm === null ? 0 : ttm + maintainSec],
        ...resetAtts(snap.lastResetMs, nowMs),
      ],
      members,
      maps,
    };
  }

  /** A worker mounted directly: its configuration, connections and the request counts observe keeps. */
  private ajp(runtime: RuntimeView, server: string, t: AjpTarget, nowMs: number): JkAjp {
    const maps = mapsOf(runtime, t.name, server);
    const c = this.d.directStats?.get(t.name);
    const since = (k: keyof DirectCounts): number => (c === undefined ? 0 : c[k] - (c.atReset?.[k] ?? 0));
    return {
      name: t.name,
      atts: [
        ...ajpConfigAtts(t.config), ['used', since('used')], ['errors', since('errors')], ['client_errors', since('clientErrors')],
        ['reply_timeouts', since('replyTimeouts')], ['transferred', since('bytesIn')], ['read', since('bytes')],
        ['busy', t.pool.busy], ['max_busy', t.pool.maxBusy], ['connected', t.pool.stats.open],
        ['max_connected', t.pool.stats.maxOpen], ['map_count', maps.length], ...resetAtts(c?.sinceMs ?? this.startedMs, nowMs),
      ],
      maps,
    };
  }
}

/** cmd=update/reset/recover without a mime (a browser, or a script that only checks the result). */
function htmlResult(doc: JkDoc, url: string): string {
  const back = escapeHtml(url.split('?')[0] ?? '');
  const r = doc.result;
  return `<!DOCTYPE html><html><head><title>ajplb status</title></head><body><p><b>Result: ${r.ok ? 'OK' : 'ERROR'} - ${escapeHtml(r.message)}</b><br/><a href="${back}">Status page</a></p></body></html>\n`;
}
