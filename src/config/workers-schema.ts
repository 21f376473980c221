// The attribute tables of workers.properties, transcribed from mod_jk's jk_util.c (supported_properties,
// list_properties, unique_properties, deprecated_properties) and the per-type readers in jk_ajp_common.c,
// jk_lb_worker.c and jk_status.c. mod_jk itself only checks an attribute's *name*; which type uses it is ours.

export type WorkerKind = 'ajp13' | 'lb' | 'status';

const AJP_ONLY = [
  'host', 'port', 'source', 'prefer_ipv6', 'socket_timeout', 'socket_connect_timeout', 'socket_keepalive',
  'socket_buffer', 'connection_pool_size', 'connection_pool_minsize', 'connection_pool_timeout',
  'connection_acquire_timeout', 'ping_mode', 'ping_timeout', 'connect_timeout', 'prepost_timeout',
  'connection_ping_interval', 'reply_timeout', 'recovery_options', 'fail_on_status', 'busy_limit',
  'max_packet_size',
] as const;
/** Read from a worker when it is a member of an lb (any ajp13 worker may be one). */
const MEMBER = ['lbfactor', 'activation', 'route', 'domain', 'redirect', 'distance'] as const;
const LB_ONLY = [
  'balance_workers', 'sticky_session', 'sticky_session_force', 'method', 'lock', 'recover_time',
  'error_escalation_time', 'max_reply_timeouts', 'session_cookie', 'session_path', 'set_session_cookie',
  'session_cookie_path',
] as const;
const STATUS_ONLY = [
  'css', 'read_only', 'user', 'user_case_insensitive', 'good', 'bad', 'prefix', 'ns', 'xmlns', 'doctype',
] as const;
const COMMON = ['type', 'reference', 'mount'] as const;
const AJP_AND_LB = ['secret', 'retries', 'retry_interval', 'lb_retries'] as const;

/** Deprecated names mod_jk still accepts, with what to write instead. */
export const DEPRECATED: Readonly<Record<string, string>> = {
  balanced_workers: "use 'balance_workers'",
  jvm_route: "use 'route'",
  disabled: "use 'activation=disabled'",
  stopped: "use 'activation=stopped'",
  local_worker: "removed in mod_jk 1.2.20; use 'distance' or 'activation' (ignored)",
  local_worker_only: "removed in mod_jk 1.2.20; use 'sticky_session_force' (ignored)",
  cachesize: "use 'connection_pool_size'",
  cache_timeout: "use 'connection_pool_timeout'",
  recycle_timeout: "no replacement; idle connections are governed by 'connection_pool_timeout' (ignored)",
  sysprops: 'the JNI worker was removed (ignored)',
  stdout: 'the JNI worker was removed (ignored)',
  stderr: 'the JNI worker was removed (ignored)',
  mx: 'the JNI worker was removed (ignored)',
  ms: 'the JNI worker was removed (ignored)',
  class_path: 'the JNI worker was removed (ignored)',
  bridge: 'the JNI worker was removed (ignored)',
  jvm_lib: 'the JNI worker was removed (ignored)',
  ld_path: 'the JNI worker was removed (ignored)',
  cmd_line: 'the JNI worker was removed (ignored)',
  native_lib: 'the JNI worker was removed (ignored)',
  // Not deprecated in mod_jk, but only the removed ajp14 worker read it.
  secretkey: "only the ajp14 worker used it; use 'secret' (ignored)",
};

/** Every attribute name mod_jk accepts after `worker.<name>.` (supported_properties). */
export const SUPPORTED: ReadonlySet<string> = new Set<string>([
  ...COMMON, ...AJP_ONLY, ...MEMBER, ...LB_ONLY, ...STATUS_ONLY, ...AJP_AND_LB, ...Object.keys(DEPRECATED),
]);

/** Attributes each type reads (deprecated aliases included where mod_jk reads them). */
export const USED_BY: Readonly<Record<WorkerKind, ReadonlySet<string>>> = {
  ajp13: new Set<string>([...COMMON, ...AJP_ONLY, ...MEMBER, ...AJP_AND_LB, 'jvm_route', 'disabled', 'stopped',
    'cachesize', 'cache_timeout']),
  lb: new Set<string>([...COMMON, ...LB_ONLY, ...AJP_AND_LB, ...MEMBER, 'balanced_workers', 'jvm_route',
    'disabled', 'stopped']),
  status: new Set<string>([...COMMON, ...STATUS_ONLY, ...MEMBER, 'jvm_route', 'disabled', 'stopped']),
};

/** Repeats of these are joined (mod_jk list_properties; balanced_workers joined too, see config-differences). */
export const LIST_ATTRS: ReadonlySet<string> = new Set([
  'balance_workers', 'balanced_workers', 'mount', 'user', 'good', 'bad', 'fail_on_status',
]);

/**
 * Repeats of these keep the FIRST value: mod_jk joins non-unique values with '*' and then parses a number,
 * so the first one wins.
 */
export const FIRST_WINS_ATTRS: ReadonlySet<string> = new Set(['distance']);

export const GLOBAL_KEYS: ReadonlySet<string> = new Set(['worker.list', 'worker.maintain']);
export const KNOWN_TYPES: ReadonlySet<string> = new Set(['ajp13', 'lb', 'status']);
/** Types mod_jk 1.2.x still has factories for but ajplb cannot run. */
export const UNSUPPORTED_TYPES: ReadonlySet<string> = new Set(['ajp12', 'ajp14']);

/** Split `worker.<name>.<attr>`; the name may contain dots (mod_jk only checks the suffix). */
export function splitWorkerKey(key: string): { worker: string; attr: string } | undefined {
  if (!key.startsWith('worker.')) return undefined;
  const last = key.lastIndexOf('.');
  if (last <= 6) return undefined;
  return { worker: key.slice(7, last), attr: key.slice(last + 1) };
}
