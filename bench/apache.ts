// Private Apache httpd 2.4 instances (mpm_event) with their own ServerRoot: one fronting the backends with
// mod_jk, one with mod_proxy_ajp + mod_proxy_balancer. Both are sized for the largest client concurrency the
// bench uses (256 connections, with headroom) and never recycle or reap children mid-run.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const APACHE_BIN = '/usr/sbin/apache2';
export const MODULES = '/usr/lib/apache2/modules';

export interface Backends {
  /** AJP ports of the two members, routes was1 and was2. */
  ajpPorts: [number, number];
  /** Also a status worker `jkstatus` at /jkstatus and a worker `solo` at /solo/* (the jkstatus parity test; the bench never has them). */
  jkStatus?: boolean | undefined;
}

/** The workers.properties both mod_jk and ajplb read: an lb worker over two ajp13 members, defaults otherwise. */
export function workersProperties(backends: Backends): string {
  const [p1, p2] = backends.ajpPorts;
  // With jkStatus, also a worker used without an lb (solo, was1's port) for the status worker to list.
  const status = backends.jkStatus === true
    ? `worker.list=jkstatus,solo\nworker.jkstatus.type=status\nworker.solo.type=ajp13\nworker.solo.host=127.0.0.1\nworker.solo.port=${p1}\n`
    : '';
  return `# Written by bench/: the same file for Apache+mod_jk and ajplb.
worker.list=lb
${status}worker.was1.type=ajp13
worker.was1.host=127.0.0.1
worker.was1.port=${p1}
worker.was2.type=ajp13
worker.was2.host=127.0.0.1
worker.was2.port=${p2}
worker.lb.type=lb
worker.lb.balance_workers=was1,was2
worker.lb.sticky_session=true
`;
}

/** Debian's own `combined` access log, to a file in the root (mod_log_config and mod_logio are built in). */
function accessLogConf(root: string): string {
  return `LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
CustomLog "${root}/access.log" combined
`;
}

function common(root: string, port: number, modules: string[], accessLog: boolean): string {
  // Running as root, httpd needs an unprivileged User for its children.
  const user = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  return `ServerRoot "${root}"
DefaultRuntimeDir "${root}"
PidFile "${root}/httpd.pid"
Listen 127.0.0.1:${port}
ServerName 127.0.0.1
${user}LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
# Debian builds authn/authz core as modules; without them every request is a 500 ("couldn't check user").
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
${modules.map((name) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`).join('\n')}
ErrorLog "${root}/error.log"
LogLevel warn
${accessLog ? accessLogConf(root) : '# No access log: ajplb runs with --access-log off too.\n'}
# 4 children x 128 threads = 512 workers, all started up front: twice the largest client concurrency, since
# with only 256 workers for 256 connections mpm_event counts itself full and closes keep-alive connections
# (wrk read errors). Spare-thread limits are such that no child is stopped or forked while wrk runs.
StartServers 4
ServerLimit 4
ThreadLimit 128
ThreadsPerChild 128
MaxRequestWorkers 512
MinSpareThreads 128
MaxSpareThreads 512
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 60
`;
}

export function modJkConf(root: string, port: number, jkStatus = false, accessLog = false): string {
  return `${common(root, port, ['jk'], accessLog)}${jkStatus ? 'JkMount /jkstatus jkstatus\nJkMount /solo/* solo\n' : ''}
JkWorkersFile "${root}/workers.properties"
JkShmFile "${root}/jk.shm"
JkLogFile "${root}/mod_jk.log"
JkLogLevel error
JkMount /* lb
`;
}

export function proxyAjpConf(root: string, port: number, backends: Backends, accessLog = false): string {
  const [p1, p2] = backends.ajpPorts;
  return `${common(root, port, ['proxy', 'proxy_ajp', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests'], accessLog)}
<Proxy "balancer://lb">
  BalancerMember "ajp://127.0.0.1:${p1}" route=was1
  BalancerMember "ajp://127.0.0.1:${p2}" route=was2
  ProxySet lbmethod=byrequests stickysession=JSESSIONID|jsessionid
</Proxy>
ProxyPass "/" "balancer://lb/"
`;
}

/** Writes ROOT/httpd.conf (+ workers.properties); the directory must be reachable by the children's user. */
export function writeApacheRoot(root: string, kind: 'mod_jk' | 'mod_proxy_ajp', port: number, backends: Backends, accessLog = false): string {
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'workers.properties'), workersProperties(backends));
  const conf = join(root, 'httpd.conf');
  writeFileSync(conf, kind === 'mod_jk' ? modJkConf(root, port, backends.jkStatus, accessLog) : proxyAjpConf(root, port, backends, accessLog));
  return conf;
}
