// workers.properties -> WorkersConfig. The compatibility contract: what stops mod_jk is an error; what mod_jk
// starts with is accepted, with a warning whenever it would read something other than what was written.
import type { Diagnostics } from './diagnostics.js';
import { hintFor } from './diagnostics.js';
import type { PropertyMap } from './properties.js';
import { resolveReferences } from './properties.js';
import type {
  Activation, AjpWorkerConfig, LbMethod, LbWorkerConfig, SourceRef, StatusWorkerConfig, WorkerConfig, WorkersConfig,
} from './types.js';
import { parseJkInt, splitJkList } from './values.js';
import { WorkerAttrs } from './worker-attrs.js';
import {
  DEPRECATED, GLOBAL_KEYS, KNOWN_TYPES, SUPPORTED, UNSUPPORTED_TYPES, USED_BY, splitWorkerKey, type WorkerKind,
} from './workers-schema.js';

/**
 * mod_jk sizes each pool to httpd's threads per child process. ajplb is one process with one pool per worker,
 * so there is no thread count to copy. 256 per backend: a pool below the client concurrency makes requests queue
 * for slots (measured: p99 past 1 s at 256 client connections with 128), and Tomcat's AJP connector takes 8192.
 */
export const DEFAULT_CONNECTION_POOL_SIZE = 256;
/** mod_jk's shared-memory string size limits worker names, hosts and routes to 60 bytes. */
export const MAX_NAME_LEN = 60;
const NAME_RE = /^[A-Za-z0-9_-]+$/;

const ACTIVATION: Record<string, Activation> = { A: 'active', '0': 'active', D: 'disabled', '1': 'disabled', S: 'stopped', '2': 'stopped' };
const METHOD: Record<string, LbMethod> = { R: 'R', '0': 'R', T: 'T', '1': 'T', B: 'B', '2': 'B', S: 'S', '3': 'S', N: 'N', '4': 'N' };
const LOCK: Record<string, 'O' | 'P'> = { O: 'O', '0': 'O', P: 'P', '1': 'P' };

export function validateWorkers(map: PropertyMap, diag: Diagnostics): WorkersConfig {
  checkAttributeNames(map, diag);
  resolveReferences(map, diag);
  const fileRef: SourceRef = { file: map.file, line: 0 };

  const listEntry = map.entries.get('worker.list');
  let list: string[];
  if (listEntry) {
    list = dedupe(splitJkList(listEntry.value), listEntry.ref, diag);
  } else {
    list = ['ajp13'];
    diag.warn(fileRef, 'worker.list', "no worker.list; mod_jk then creates one worker named 'ajp13'",
      'add worker.list=<your workers>');
  }
  const maintainEntry = map.entries.get('worker.maintain');
  let maintainSec = 60;
  if (maintainEntry) {
    const p = parseJkInt(maintainEntry.value, 60);
    if (!p.clean) diag.warn(maintainEntry.ref, 'worker.maintain', `'${maintainEntry.value}' is not an integer; mod_jk reads ${p.value}`);
    maintainSec = Math.max(0, p.value);
  }

  const builder = new Builder(map, diag, fileRef);
  for (const name of list) builder.build(name, listEntry?.ref ?? fileRef, undefined);
  builder.reportUnused(list);
  return { list: list.filter((n) => builder.workers.has(n) || !builder.skipped.has(n)), maintainSec, workers: builder.workers };
}

function dedupe(names: string[], ref: SourceRef, diag: Diagnostics): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (out.includes(n)) diag.warn(ref, 'worker.list', `worker '${n}' is listed twice; it is created once`);
    else out.push(n);
  }
  return out;
}

/** jk_map_validate_property: an unsupported worker.* attribute stops mod_jk. Deprecated ones only warn. */
function checkAttributeNames(map: PropertyMap, diag: Diagnostics): void {
  for (const e of map.entries.values()) {
    if (!e.key.startsWith('worker.') || GLOBAL_KEYS.has(e.key)) continue;
    const parts = splitWorkerKey(e.key);
    const attr = parts?.attr ?? e.key.slice(7);
    if (!parts || !SUPPORTED.has(attr)) {
      const known = parts ? SUPPORTED : new Set(['list', 'maintain']);
      diag.error(e.ref, e.key, 'unknown attribute; mod_jk refuses to start',
        hintFor(attr, known, 'see the workers.properties reference for the supported attributes'));
      continue;
    }
    const repl = DEPRECATED[attr];
    if (repl !== undefined) diag.warn(e.ref, e.key, 'deprecated attribute', repl);
    if (attr === 'list' || attr === 'maintain') {
      diag.warn(e.ref, e.key, `'${attr}' is a global setting; on a worker it has no effect`, `write worker.${attr}=...`);
    }
  }
}

class Builder {
  readonly workers = new Map<string, WorkerConfig>();
  /** Workers mod_jk would create but ajplb cannot (ajp12); dropped from worker.list. */
  readonly skipped = new Set<string>();
  private readonly building = new Set<string>();
  private readonly definedAt = new Map<string, SourceRef>();

  constructor(readonly map: PropertyMap, readonly diag: Diagnostics, readonly fileRef: SourceRef) {
    for (const e of map.entries.values()) {
      const p = splitWorkerKey(e.key);
      if (p && !this.definedAt.has(p.worker) && !e.inheritedFrom) this.definedAt.set(p.worker, e.ref);
    }
  }

  build(name: string, usedAt: SourceRef, lb: string | undefined): WorkerConfig | undefined {
    const existing = this.workers.get(name);
    if (existing) return existing;
    if (this.building.has(name)) {
      this.diag.error(usedAt, `worker.${name}`, `worker '${name}' contains itself through balance_workers`);
      return undefined;
    }
    this.checkName(name, usedAt);
    const defined = this.definedAt.get(name);
    if (!defined) {
      const where = lb ? `member of lb '${lb}'` : 'in worker.list';
      this.diag.warn(usedAt, lb ? `worker.${lb}.balance_workers` : 'worker.list',
        `worker '${name}' (${where}) is never defined; mod_jk creates it as ajp13 at localhost:8009`,
        hintFor(name, this.definedAt.keys(), `define worker.${name}.host and worker.${name}.port`));
    }
    const a = new WorkerAttrs(this.map, name, this.diag, defined ?? usedAt);
    const kind = this.kindOf(a);
    if (kind === undefined) return undefined;
    this.checkAttrsUsed(a, kind);
    this.building.add(name);
    let w: WorkerConfig | undefined;
    if (kind === 'ajp13') w = buildAjp(a, defined ?? usedAt);
    else if (kind === 'lb') w = this.buildLb(a, defined ?? usedAt);
    else w = buildStatus(a, defined ?? usedAt);
    this.building.delete(name);
    if (w) this.workers.set(name, w);
    return w;
  }

  private checkName(name: string, at: SourceRef): void {
    if (name.length > MAX_NAME_LEN) {
      this.diag.error(at, `worker.${name}`, `worker name longer than ${MAX_NAME_LEN} characters; mod_jk refuses it`);
    } else if (!NAME_RE.test(name)) {
      this.diag.warn(at, `worker.${name}`, `worker name '${name}' has characters outside [A-Za-z0-9_-]`,
        'mod_jk documents only letters, digits, _ and -; rename it');
    }
  }

  private kindOf(a: WorkerAttrs): WorkerKind | undefined {
    const e = a.entry('type');
    const type = e?.value ?? 'ajp13';
    if (KNOWN_TYPES.has(type)) return type as WorkerKind;
    const at = e?.ref ?? a.fallbackRef;
    if (type === 'ajp14') {
      this.diag.warn(at, e?.key, "type 'ajp14' is obsolete; ajplb treats it as ajp13", "use 'ajp13'");
      return 'ajp13';
    }
    if (UNSUPPORTED_TYPES.has(type)) {
      this.diag.warn(at, e?.key, `type '${type}' (AJP 1.2) is accepted by mod_jk but ajplb cannot speak it; the worker is not created and requests mapped to it fail`, "use 'ajp13'");
      this.skipped.add(a.name);
      return undefined;
    }
    this.diag.error(at, e?.key, `unknown worker type '${type}'; mod_jk refuses to start`,
      hintFor(type, KNOWN_TYPES, 'allowed: ajp13, lb, status'));
    return undefined;
  }

  private checkAttrsUsed(a: WorkerAttrs, kind: WorkerKind): void {
    const prefix = `worker.${a.name}.`;
    for (const e of this.map.entries.values()) {
      if (!e.key.startsWith(prefix) || e.inheritedFrom) continue;
      const attr = e.key.slice(prefix.length);
      if (attr.includes('.') || !SUPPORTED.has(attr) || DEPRECATED[attr] !== undefined) continue;
      if (!USED_BY[kind].has(attr)) {
        this.diag.warn(e.ref, e.key, `an ${kind} worker does not use '${attr}'; it has no effect`);
      }
    }
  }

  private buildLb(a: WorkerAttrs, defined: SourceRef): LbWorkerConfig | undefined {
    const membersAttr = a.has('balance_workers') ? 'balance_workers' : 'balanced_workers';
    const membersRef = a.refOf(membersAttr);
    const names = a.list(membersAttr);
    if (names.length === 0) {
      this.diag.error(a.refOf('type'), `worker.${a.name}.balance_workers`,
        `lb worker '${a.name}' has no members; mod_jk refuses to start`, `add worker.${a.name}.balance_workers=<workers>`);
      return undefined;
    }
    const members: string[] = [];
    const secret = a.optStr('secret');
    const routes = new Map<string, string>();
    for (const m of names) {
      if (members.includes(m)) {
        this.diag.error(membersRef, `worker.${a.name}.${membersAttr}`,
          `member '${m}' listed twice; its route is then shared and mod_jk refuses to start`, 'list each member once');
        continue;
      }
      const w = this.build(m, membersRef, a.name);
      if (!w) continue;
      if (w.type !== 'ajp13') {
        this.diag.error(membersRef, `worker.${a.name}.${membersAttr}`,
          `member '${m}' is a ${w.type} worker; ajplb balances only ajp13 members`, 'list ajp13 workers only');
        continue;
      }
      if (secret !== undefined && w.secret === undefined) w.secret = secret;
      const other = routes.get(w.route);
      if (other !== undefined) {
        this.diag.error(membersRef, `worker.${a.name}.${membersAttr}`,
          `members '${other}' and '${m}' share the route '${w.route}'; mod_jk refuses to start`,
          `give each member its own route (worker.${m}.route)`);
      } else {
        routes.set(w.route, m);
      }
      members.push(m);
    }
    const recoverTimeSec = a.int('recover_time', 60, { min: 1, unit: 's' });
    return {
      type: 'lb',
      name: a.name,
      defined,
      members,
      stickySession: a.bool('sticky_session', true),
      stickySessionForce: a.bool('sticky_session_force', false),
      method: a.code<LbMethod>('method', 'R', METHOD, 'R(equest), T(raffic), B(usyness), S(essions), N(ext)'),
      lock: a.code<'O' | 'P'>('lock', 'O', LOCK, 'O(ptimistic), P(essimistic)'),
      retries: positiveOr(a.int('retries', 2), 2),
      lbRetries: positiveOr(a.int('lb_retries', 2), 2),
      retryIntervalMs: a.int('retry_interval', 100, { min: 0, unit: 'ms' }),
      recoverTimeSec,
      errorEscalationTimeSec: a.int('error_escalation_time', Math.floor(recoverTimeSec / 2), { min: 0, unit: 's' }),
      maxReplyTimeouts: a.int('max_reply_timeouts', 0, { min: 0 }),
      sessionCookie: a.str('session_cookie', 'JSESSIONID'),
      sessionPath: a.str('session_path', ';jsessionid'),
      setSessionCookie: a.bool('set_session_cookie', false),
      sessionCookiePath: a.str('session_cookie_path', '/'),
      secret,
      mounts: a.list('mount'),
    };
  }

  reportUnused(list: string[]): void {
    for (const [name, ref] of this.definedAt) {
      if (this.workers.has(name) || list.includes(name)) continue;
      const isTemplate = [...this.map.entries.values()].some((e) => e.value === `worker.${name}` && e.key.endsWith('.reference'));
      if (!isTemplate) {
        this.diag.info(ref, `worker.${name}`, `worker '${name}' is defined but neither in worker.list nor an lb member; it is not created`);
      }
    }
  }
}

function positiveOr(v: number, def: number): number {
  return v < 1 ? def : v;
}

function buildAjp(a: WorkerAttrs, defined: SourceRef): AjpWorkerConfig {
  const host = a.str('host', 'localhost');
  checkHost(a, host);
  let port = a.int('port', 8009);
  if (a.has('port')) {
    if (port === 0) {
      a.diag.warn(a.refOf('port'), `worker.${a.name}.port`, 'port 0 disables the worker (an lb member is STOPPED)');
    } else if (port < 0 || port > 65535) {
      a.diag.warn(a.refOf('port'), `worker.${a.name}.port`, `${port} is not a TCP port; the worker cannot connect`, 'use 1-65535');
      port = 0;
    }
  }
  const socketTimeoutSec = a.int('socket_timeout', 0, { min: 0, unit: 's' });
  const poolSize = a.has('connection_pool_size')
    ? a.int('connection_pool_size', DEFAULT_CONNECTION_POOL_SIZE, { min: 1 })
    : a.int('cachesize', DEFAULT_CONNECTION_POOL_SIZE, { min: 1 });
  const pingMode = parsePingMode(a);
  const pingTimeoutMs = a.int('ping_timeout', 10000, { min: 0, unit: 'ms' });
  let connectTimeoutMs = a.int('connect_timeout', 0, { min: 0, unit: 'ms' });
  let prepostTimeoutMs = a.int('prepost_timeout', 0, { min: 0, unit: 'ms' });
  if (connectTimeoutMs > 0) pingMode.connect = true;
  if (prepostTimeoutMs > 0) pingMode.prepost = true;
  if (pingMode.connect && connectTimeoutMs === 0) connectTimeoutMs = pingTimeoutMs;
  if (pingMode.prepost && prepostTimeoutMs === 0) prepostTimeoutMs = pingTimeoutMs;
  let pingIntervalSec = a.int('connection_ping_interval', 0, { min: 0, unit: 's' });
  if (pingIntervalSec > 0) pingMode.interval = true;
  if (pingMode.interval && pingIntervalSec === 0) pingIntervalSec = Math.floor(pingTimeoutMs / 100);
  const retries = positiveOr(a.int('retries', 2), 2);
  const retryIntervalMs = a.int('retry_interval', 100, { min: 0, unit: 'ms' });
  const maxPacketSize = alignPacket(a);
  const activation = activationOf(a);
  const route = a.optStr('route') ?? a.optStr('jvm_route') ?? a.name;
  let domain = a.str('domain', '');
  if (domain === '' && route.includes('.')) domain = route.slice(0, route.indexOf('.'));
  for (const attr of ['route', 'jvm_route', 'domain', 'redirect', 'source']) {
    const v = a.optStr(attr);
    if (v !== undefined && v.length > MAX_NAME_LEN) {
      a.diag.error(a.refOf(attr), `worker.${a.name}.${attr}`, `longer than ${MAX_NAME_LEN} characters; mod_jk refuses it`);
    }
  }
  return {
    type: 'ajp13',
    name: a.name,
    defined,
    host,
    port,
    source: a.str('source', ''),
    preferIpv6: a.bool('prefer_ipv6', false),
    secret: a.optStr('secret'),
    socketTimeoutMs: socketTimeoutSec * 1000,
    socketConnectTimeoutMs: a.int('socket_connect_timeout', socketTimeoutSec * 1000, { min: 0, unit: 'ms' }),
    socketKeepalive: a.bool('socket_keepalive', false),
    socketBuffer: a.int('socket_buffer', maxPacketSize, { min: 0 }),
    connectionPoolSize: poolSize,
    connectionPoolMinSize: a.int('connection_pool_minsize', Math.floor((poolSize + 1) / 2), { min: 0, max: poolSize }),
    connectionPoolTimeoutSec: a.has('connection_pool_timeout')
      ? a.int('connection_pool_timeout', 0, { min: 0, unit: 's' })
      : a.int('cache_timeout', 0, { min: 0, unit: 's' }),
    connectionAcquireTimeoutMs: a.int('connection_acquire_timeout', retries * retryIntervalMs, { min: 0, unit: 'ms' }),
    pingMode,
    pingTimeoutMs,
    connectTimeoutMs,
    prepostTimeoutMs,
    connectionPingIntervalSec: pingIntervalSec,
    replyTimeoutMs: a.int('reply_timeout', 0, { min: 0, unit: 'ms' }),
    retries,
    retryIntervalMs,
    recoveryOptions: a.int('recovery_options', 0, { min: 0 }),
    failOnStatus: a.intList('fail_on_status'),
    busyLimit: a.int('busy_limit', 0, { min: 0 }),
    maxPacketSize,
    lbfactor: a.int('lbfactor', 1, { min: 1 }),
    activation: port === 0 ? 'stopped' : activation,
    route,
    domain,
    redirect: a.str('redirect', ''),
    distance: a.int('distance', 0, { min: 0 }),
    mounts: a.list('mount'),
  };
}

function checkHost(a: WorkerAttrs, host: string): void {
  const key = `worker.${a.name}.host`;
  const ref = a.refOf('host');
  if (host.length > MAX_NAME_LEN) {
    a.diag.error(ref, key, `host longer than ${MAX_NAME_LEN} characters; mod_jk refuses it`);
  } else if (/[\s()]/.test(host) || host === '') {
    a.diag.warn(ref, key, `'${host}' is not a valid host name; mod_jk cannot resolve it and the worker stays in error`,
      'write a host name or an IP address');
  } else if (/^[^:]+:\d+$/.test(host)) {
    a.diag.warn(ref, key, `'${host}' looks like host:port, but mod_jk never parses a port here (it would be read as an IPv6 address)`,
      `write worker.${a.name}.port separately`);
  }
}

function parsePingMode(a: WorkerAttrs): { connect: boolean; prepost: boolean; interval: boolean } {
  const mode = { connect: false, prepost: false, interval: false };
  const e = a.entry('ping_mode');
  if (!e) return mode;
  for (const ch of e.value) {
    const c = ch.toUpperCase();
    if (c === 'C') mode.connect = true;
    else if (c === 'P') mode.prepost = true;
    else if (c === 'I') mode.interval = true;
    else if (c === 'A') mode.connect = mode.prepost = mode.interval = true;
    else a.diag.warn(e.ref, e.key, `unknown ping mode '${ch}' ignored`, 'letters C, P, I or A');
  }
  return mode;
}

function alignPacket(a: WorkerAttrs): number {
  const raw = a.int('max_packet_size', 8192);
  let sz = Math.ceil(raw / 1024) * 1024;
  if (sz < 8192) sz = 8192;
  else if (sz > 65536) sz = 65536;
  if (a.has('max_packet_size') && sz !== raw) {
    a.diag.warn(a.refOf('max_packet_size'), `worker.${a.name}.max_packet_size`, `${raw} is used as ${sz} (multiple of 1024 within 8192..65536)`);
  }
  return sz;
}

function activationOf(a: WorkerAttrs): Activation {
  if (a.has('activation')) {
    return a.code<Activation>('activation', 'active', ACTIVATION, 'A(ctive), D(isabled), S(topped) or 0/1/2');
  }
  if (a.bool('stopped', false)) return 'stopped';
  if (a.bool('disabled', false)) return 'disabled';
  return 'active';
}

function buildStatus(a: WorkerAttrs, defined: SourceRef): StatusWorkerConfig {
  return {
    type: 'status',
    name: a.name,
    defined,
    readOnly: a.bool('read_only', false),
    users: a.list('user'),
    mounts: a.list('mount'),
  };
}
