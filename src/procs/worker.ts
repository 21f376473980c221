// One --procs worker: the daemon's front exactly as in a single process (cluster shares the listening
// sockets), its own observability, a private admin listener the primary talks to, and the member-state sync.

import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/types.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { Daemon, type DaemonObserver } from '../daemon.js';
import { createObservability, type Observability } from '../observe/index.js';
import { createAdminServer } from '../observe/http.js';
import { actionOfRequest } from './actions.js';
import { MemberSync } from './member-sync.js';
import { isMessage, type FromWorker, type MemberAction, type ToWorker } from './messages.js';
import type { ProcsParams } from './params.js';
import { inProcsThread, onPrimaryMessage, setSharedBalancers, sharedBalancers, toPrimary } from './parent.js';
import { portSharing } from './port-sharing.js';

/** How often a worker checks its members besides right after a failure (maintenance turns ERR into REC). */
const SYNC_INTERVAL_MS = 1000;

function send(m: FromWorker): void {
  toPrimary(m);
}

/** The daemon's observer plus what --procs needs to see: failures (member sync) and status-page actions. */
function procsObserver(obs: Observability, sync: MemberSync, daemon: () => Daemon): DaemonObserver {
  const o = obs.observer;
  return {
    onForwardDone(f) {
      o.onForwardDone?.(f);
      if (sync.errMembers > 0) sync.schedule();
    },
    onAttemptFailed(f, worker, outcome) {
      o.onAttemptFailed?.(f, worker, outcome);
      sync.schedule();
    },
    onRouteMismatch: (lb, member, fix) => o.onRouteMismatch?.(lb, member, fix),
    onRejected: (req, status, why) => o.onRejected?.(req, status, why),
    onReload: (ok, error) => o.onReload?.(ok, error),
    onStatusRequest(req: IncomingMessage, res: ServerResponse, workerName: string) {
      // An action on a status worker mounted in the front reaches this process only: tell the primary.
      const action = req.method === 'POST' ? actionOfRequest(req.url ?? '/') : null;
      if (action !== null) res.once('finish', () => {
        if (res.statusCode === 200) send({ ajplb: 'action', action: withLbfactor(daemon(), action) });
      });
      o.onStatusRequest?.(req, res, workerName);
    },
  };
}

/** The lbfactor an lbfactor action set here (it may have come in the body), for the other workers. */
function withLbfactor(daemon: Daemon, a: MemberAction): MemberAction {
  if (a.action !== 'lbfactor') return a;
  const t = daemon.runtime.targets.byName.get(a.lb);
  if (t?.kind !== 'lb') return a;
  return { ...a, value: t.balancer.snapshot().members[t.balancer.indexOf(a.member)]?.lbfactor };
}

export async function runWorker(p: ProcsParams, config: AppConfig): Promise<void> {
  let daemon: Daemon | null = null;
  let draining = false;
  const stop = (signal: string): void => {
    if (draining) return;
    draining = true;
    if (daemon === null) process.exit(0);
    obs.logger.info({ signal, drainTimeoutSec: p.drainTimeoutSec }, 'draining');
    void daemon.stop(p.drainTimeoutSec * 1000).then(async (clean) => {
      obs.logger.info({ clean }, 'stopped');
      await obs.closeLogs(1000);
      process.exit(0);
    });
  };
  // A thread gets no signals: the primary sends 'stop' instead.
  if (!inProcsThread) {
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // The primary coordinates reloads; a SIGHUP sent to the whole process group must not kill (or double-reload) us.
    process.on('SIGHUP', () => undefined);
  }

  const obs = createObservability({
    getRuntime: () => (daemon as Daemon).runtime, isDraining: () => draining, adminToken: p.adminToken, version: p.version,
    inFlight: () => daemon?.front.inFlight ?? 0, openConnections: () => daemon?.front.openConnections ?? 0,
    accessLog: p.accessLog === 'off' ? false : { destination: p.accessLog }, logLevel: p.logLevel,
    // mod_jk-style jkstatus actions (cmd=update…); the page's own POST actions are relayed in procsObserver.
    onAdminAction: (action) => send({ ajplb: 'action', action }),
  });
  if (!inProcsThread) process.on('SIGUSR1', () => obs.reopenLogs());
  const log = obs.logger;
  const sync = new MemberSync(() => (daemon as Daemon).runtime.targets, (events) => send({ ajplb: 'member-state', events }));
  const d: Daemon = new Daemon({
    config, listen: [], observer: procsObserver(obs, sync, () => d), limits: { maxBodyBytes: p.maxBodyBytes, keepAliveTimeoutMs: p.keepAliveTimeoutMs },
    sharedBalancers: () => sharedBalancers, tuning: { bodyAhead: p.bodyAhead },
  });
  daemon = d;
  obs.applyOverrides(d.runtime);

  const go = new Promise<void>((resolve) => {
    onPrimaryMessage((m: unknown) => {
      if (!isMessage<ToWorker>(m)) return;
      switch (m.ajplb) {
        case 'go':
          return resolve();
        case 'member-state':
          return sync.apply(m.events);
        case 'metrics-req':
          void obs.registry.getMetricsAsJSON().then((metrics) => send({ ajplb: 'metrics', id: m.id, metrics }));
          return;
        case 'reload':
          if (m.shared !== undefined) setSharedBalancers(m.shared);
          return reload(p, d, obs);
        case 'stop':
          return stop('stop from the primary');
        case 'reopen-logs':
          return obs.reopenLogs();
        case 'reload-refused':
          return obs.observer.onReload?.(false, new Error(m.error));
      }
    });
  });

  // Private: the primary proxies /status and the API here and repeats actions here. Exclusive, so cluster
  // gives this worker its own port instead of sharing one handle across workers.
  const admin = createAdminServer(obs.adminHandler);
  await new Promise<void>((resolve) => admin.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve));
  admin.unref();
  send({ ajplb: 'admin-port', port: (admin.address() as AddressInfo).port });
  await go;
  if (draining) return;
  const specs = p.listen(config);
  const reusePort = portSharing(specs.map((s) => s.port)) === 'reuseport';
  await d.start(specs.map((s) => ({ ...s, reusePort })));
  setInterval(() => sync.flush(), SYNC_INTERVAL_MS).unref();
  send({ ajplb: 'ready', addresses: d.addresses });
  log.debug({ addresses: d.addresses }, 'worker listening');
}

function reload(p: ProcsParams, d: Daemon, obs: Observability): void {
  try {
    const next = p.load();
    const errs = next.diagnostics.filter((x) => x.severity === 'error');
    if (errs.length > 0) {
      // The primary checked the same files a moment ago: they changed since.
      for (const e of errs) obs.logger.error(formatDiagnostic(e));
      obs.observer.onReload?.(false, new Error('invalid configuration'));
      send({ ajplb: 'reloaded', ok: false, error: 'invalid configuration' });
      return;
    }
    d.reload(next);
    obs.applyOverrides(d.runtime);
    obs.logger.info('configuration reloaded');
    send({ ajplb: 'reloaded', ok: true });
  } catch (err) {
    obs.logger.error({ err }, 'reload failed: the running configuration stays');
    send({ ajplb: 'reloaded', ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}
