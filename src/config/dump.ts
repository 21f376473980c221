// The effective configuration, defaults filled in and references resolved, in the syntax users know:
// workers.properties lines, then uriworkermap lines, then one block per virtual host.
import type { AjpWorkerConfig, AppConfig, LbWorkerConfig, MountRule, StatusWorkerConfig } from './types.js';

const ACT = { active: 'A', disabled: 'D', stopped: 'S' } as const;

function ajpLines(w: AjpWorkerConfig): Array<[string, string | number | boolean | undefined]> {
  const ping = `${w.pingMode.connect ? 'C' : ''}${w.pingMode.prepost ? 'P' : ''}${w.pingMode.interval ? 'I' : ''}`;
  return [
    ['host', w.host], ['port', w.port], ['source', w.source], ['prefer_ipv6', w.preferIpv6],
    ['secret', w.secret === undefined ? undefined : '********'],
    ['socket_timeout', w.socketTimeoutMs / 1000], ['socket_connect_timeout', w.socketConnectTimeoutMs],
    ['socket_keepalive', w.socketKeepalive], ['socket_buffer', w.socketBuffer],
    ['connection_pool_size', w.connectionPoolSize], ['connection_pool_minsize', w.connectionPoolMinSize],
    ['connection_pool_timeout', w.connectionPoolTimeoutSec], ['connection_acquire_timeout', w.connectionAcquireTimeoutMs],
    ['ping_mode', ping], ['ping_timeout', w.pingTimeoutMs], ['connect_timeout', w.connectTimeoutMs],
    ['prepost_timeout', w.prepostTimeoutMs], ['connection_ping_interval', w.connectionPingIntervalSec],
    ['reply_timeout', w.replyTimeoutMs], ['retries', w.retries], ['retry_interval', w.retryIntervalMs],
    ['recovery_options', w.recoveryOptions], ['fail_on_status', w.failOnStatus.join(',')],
    ['busy_limit', w.busyLimit], ['max_packet_size', w.maxPacketSize], ['lbfactor', w.lbfactor],
    ['activation', ACT[w.activation]], ['route', w.route], ['domain', w.domain], ['redirect', w.redirect],
    ['distance', w.distance], ['mount', w.mounts.join(',')],
  ];
}

function lbLines(w: LbWorkerConfig): Array<[string, string | number | boolean | undefined]> {
  return [
    ['balance_workers', w.members.join(',')], ['sticky_session', w.stickySession],
    ['sticky_session_force', w.stickySessionForce], ['method', w.method], ['lock', w.lock], ['retries', w.retries],
    ['lb_retries', w.lbRetries], ['retry_interval', w.retryIntervalMs], ['recover_time', w.recoverTimeSec],
    ['error_escalation_time', w.errorEscalationTimeSec], ['max_reply_timeouts', w.maxReplyTimeouts],
    ['session_cookie', w.sessionCookie], ['session_path', w.sessionPath], ['set_session_cookie', w.setSessionCookie],
    ['session_cookie_path', w.sessionCookiePath], ['secret', w.secret === undefined ? undefined : '********'],
    ['mount', w.mounts.join(',')],
  ];
}

function statusLines(w: StatusWorkerConfig): Array<[string, string | number | boolean | undefined]> {
  return [['read_only', w.readOnly], ['user', w.users.join(',')], ['mount', w.mounts.join(',')]];
}

function ruleLine(r: MountRule): string {
  const ext = r.extensions;
  const parts: string[] = [r.worker];
  if (ext.replyTimeoutMs !== undefined) parts.push(`reply_timeout=${ext.replyTimeoutMs}`);
  if (ext.stickyIgnore !== undefined) parts.push(`sticky_ignore=${ext.stickyIgnore ? 1 : 0}`);
  if (ext.stateless !== undefined) parts.push(`stateless=${ext.stateless ? 1 : 0}`);
  if (ext.active) parts.push(`active=${ext.active.join(',')}`);
  if (ext.disabled) parts.push(`disabled=${ext.disabled.join(',')}`);
  if (ext.stopped) parts.push(`stopped=${ext.stopped.join(',')}`);
  if (ext.failOnStatus) parts.push(`fail_on_status=${ext.failOnStatus.join(',')}`);
  if (ext.useServerErrors !== undefined) parts.push(`use_server_errors=${ext.useServerErrors}`);
  if (ext.sessionCookie !== undefined) parts.push(`session_cookie=${ext.sessionCookie}`);
  if (ext.sessionPath !== undefined) parts.push(`session_path=${ext.sessionPath}`);
  if (ext.setSessionCookie !== undefined) parts.push(`set_session_cookie=${ext.setSessionCookie ? 1 : 0}`);
  if (ext.sessionCookiePath !== undefined) parts.push(`session_cookie_path=${ext.sessionCookiePath}`);
  const prefix = `${r.disabled ? '-' : ''}${r.exclude ? '!' : ''}`;
  return `${prefix}${r.pattern}=${parts.join(';')}  # ${r.source} ${r.defined.file}:${r.defined.line}`;
}

export function dumpConfig(app: AppConfig): string {
  const out: string[] = ['# workers (effective: defaults filled in, references resolved; secrets hidden)'];
  out.push(`worker.list=${app.workers.list.join(',')}`, `worker.maintain=${app.workers.maintainSec}`, '');
  for (const w of app.workers.workers.values()) {
    out.push(`# ${w.name}: defined at ${w.defined.file}:${w.defined.line}`, `worker.${w.name}.type=${w.type}`);
    const lines = w.type === 'ajp13' ? ajpLines(w) : w.type === 'lb' ? lbLines(w) : statusLines(w);
    for (const [k, v] of lines) {
      if (v === undefined) continue;
      out.push(`worker.${w.name}.${k}=${typeof v === 'boolean' ? (v ? 'true' : 'false') : v}`);
    }
    out.push('');
  }
  out.push('# mounts of the main server');
  for (const r of app.mounts) out.push(ruleLine(r));
  for (const v of app.vhosts) {
    out.push('', `# <VirtualHost ${v.addresses.join(' ')}> ${v.names.join(' ')}  (${v.defined.file}:${v.defined.line})`);
    for (const r of v.mounts) out.push(ruleLine(r));
  }
  if (app.listeners.length) {
    out.push('', '# listeners');
    for (const l of app.listeners) out.push(`# Listen ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}${l.tls ? ' https' : ''}`);
  }
  return `${out.join('\n')}\n`;
}
