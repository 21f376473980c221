// Typed, validated configuration: what the rest of ajplb consumes. Everything here is plain data with
// mod_jk's defaults already filled in, so the balancer, pools and front never look at raw properties.

/** Where a value came from, so every message can name file:line. */
export interface SourceRef {
  file: string;
  line: number;
}

/** 'info' is for things we deliberately ignore (httpd directives that are not ours); never fatal. */
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  /** The directive as written, e.g. `worker.a-was1.prot`. */
  directive?: string;
  message: string;
  /** How to fix it: allowed values, a did-you-mean. */
  hint?: string;
}

export type Activation = 'active' | 'disabled' | 'stopped';
export type LbMethod = 'R' | 'T' | 'B' | 'S' | 'N';

/** ping_mode flags as mod_jk defines them: C = after connect, P = before each request, I = idle interval. */
export interface PingMode {
  connect: boolean;
  prepost: boolean;
  interval: boolean;
}

/** An ajp13 worker. The member-only attributes (lbfactor…) are present on every ajp13 worker, as in mod_jk. */
export interface AjpWorkerConfig {
  type: 'ajp13';
  name: string;
  defined: SourceRef;
  host: string;
  port: number;
  source: string;
  preferIpv6: boolean;
  secret: string | undefined;
  socketTimeoutMs: number;
  socketConnectTimeoutMs: number;
  socketKeepalive: boolean;
  socketBuffer: number;
  connectionPoolSize: number;
  connectionPoolMinSize: number;
  /** Seconds a connection may stay idle before it is closed; 0 = never. */
  connectionPoolTimeoutSec: number;
  connectionAcquireTimeoutMs: number;
  pingMode: PingMode;
  pingTimeoutMs: number;
  connectTimeoutMs: number;
  prepostTimeoutMs: number;
  connectionPingIntervalSec: number;
  replyTimeoutMs: number;
  retries: number;
  retryIntervalMs: number;
  recoveryOptions: number;
  /** Positive codes put the member in error; negative ones only fail over. */
  failOnStatus: number[];
  busyLimit: number;
  maxPacketSize: number;
  // as an lb member
  lbfactor: number;
  activation: Activation;
  route: string;
  domain: string;
  redirect: string;
  distance: number;
  mounts: string[];
}

export interface LbWorkerConfig {
  type: 'lb';
  name: string;
  defined: SourceRef;
  members: string[];
  stickySession: boolean;
  stickySessionForce: boolean;
  method: LbMethod;
  lock: 'O' | 'P';
  retries: number;
  lbRetries: number;
  retryIntervalMs: number;
  recoverTimeSec: number;
  errorEscalationTimeSec: number;
  maxReplyTimeouts: number;
  sessionCookie: string;
  sessionPath: string;
  setSessionCookie: boolean;
  sessionCookiePath: string;
  secret: string | undefined;
  mounts: string[];
}

export interface StatusWorkerConfig {
  type: 'status';
  name: string;
  defined: SourceRef;
  readOnly: boolean;
  users: string[];
  mounts: string[];
}

export type WorkerConfig = AjpWorkerConfig | LbWorkerConfig | StatusWorkerConfig;

export interface WorkersConfig {
  /** worker.list, in order, repeats joined. */
  list: string[];
  maintainSec: number;
  workers: Map<string, WorkerConfig>;
}

/** Per-rule overrides (`pattern=worker;reply_timeout=…`). Absent = inherit from the worker. */
export interface MountExtensions {
  replyTimeoutMs?: number;
  stickyIgnore?: boolean;
  stateless?: boolean;
  /** Members forced into an activation for requests matching this rule. */
  active?: string[];
  disabled?: string[];
  stopped?: string[];
  failOnStatus?: number[];
  useServerErrors?: number;
  sessionCookie?: string;
  sessionPath?: string;
  setSessionCookie?: boolean;
  sessionCookiePath?: string;
}

export type MountSource = 'uriworkermap' | 'jkmount' | 'worker.mount';

export interface MountRule {
  pattern: string;
  worker: string;
  exclude: boolean;
  disabled: boolean;
  extensions: MountExtensions;
  source: MountSource;
  defined: SourceRef;
}

export interface VirtualHostConfig {
  /** ServerName first, then ServerAlias entries (may hold wildcards). Empty for the main server. */
  names: string[];
  /** `*:80`, `127.0.0.1:8080`… as written on <VirtualHost>. */
  addresses: string[];
  mounts: MountRule[];
  defined: SourceRef;
}

export interface ListenerConfig {
  host: string;
  port: number;
  tls: boolean;
}

/** Everything the daemon needs, whatever files it came from. */
export interface AppConfig {
  workers: WorkersConfig;
  /** Mounts of the main server (outside any <VirtualHost>), after JkMountCopy rules are applied. */
  mounts: MountRule[];
  vhosts: VirtualHostConfig[];
  listeners: ListenerConfig[];
  /** httpd.conf's server-wide KeepAliveTimeout, when --httpd-conf names one (a --keep-alive-timeout flag wins). */
  keepAliveTimeoutMs?: number | undefined;
  diagnostics: Diagnostic[];
}
