// Observability as one object the CLI builds and the daemon calls: metrics (prom-client), logs (pino), the
// status page and API, health endpoints, and the status-page overrides that outlive reloads.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { DaemonObserver } from '../daemon.js';
import type { Forwarding } from '../front/forward.js';
import type { AjpTarget, LbTarget } from '../front/targets.js';
import { AdminActions, AdminAuth } from './admin.js';
import { registerScrapeMetrics } from './collect.js';
import { ObserveHttp, type HttpDeps } from './http.js';
import type { LogStreamTrouble } from './log-stream.js';
import { Logs, type AccessLogOption } from './logs.js';
import { RequestMetrics } from './metrics.js';
import { ScrapeSnapshot, type RuntimeView } from './snapshot.js';
import { VhostLabeler } from './vhost-label.js';
import type { DestinationStream } from 'pino';

export type { RuntimeView, StatusDoc } from './snapshot.js';
export { isUsable } from './snapshot.js';
export { readiness } from './health.js';
export { LATENCY_BUCKETS } from './metrics.js';

export interface ObservabilityOptions {
  getRuntime(): RuntimeView;
  isDraining(): boolean;
  /** Bearer token for status-page actions; without it everything is read-only. */
  adminToken?: string | undefined;
  version: string;
  /** Default: off. 'stdout' or a file path (reopened by reopenLogs()). */
  accessLog?: AccessLogOption | false | undefined;
  logLevel?: string | undefined;
  /** Open client connections on the front listeners (ajplb_http_open_connections). */
  openConnections?: () => number;
  /** Requests being served (ajplb_http_requests_in_flight). */
  inFlight?: () => number;
  /** Tests: write the app log (and a 'stdout' access log) here instead of fd 1. */
  stdout?: DestinationStream;
  /** Every member action a status worker took (--procs repeats it in the other serving processes). */
  onAdminAction?: HttpDeps['onAction'];
  /** Tests: leave out the process/nodejs default metrics. */
  defaultMetrics?: boolean;
}

export interface Observability {
  logger: Logger;
  observer: DaemonObserver;
  /** For http.createServer on the admin listener. */
  adminHandler(req: IncomingMessage, res: ServerResponse): void;
  /** Call after every (re)load: re-applies status-page activation/lbfactor changes. */
  applyOverrides(runtime: RuntimeView): void;
  /** SIGUSR1: reopen the access log file after logrotate. */
  reopenLogs(): void;
  /** Tests: yields once; lines are already on their way to the destination (see Logs.flush). */
  flushLogs(): Promise<void>;
  /** Shutdown: writes what is pending, within `timeoutMs`, and stops logging. */
  closeLogs(timeoutMs: number): Promise<void>;
  registry: Registry;
}

export function createObservability(opts: ObservabilityOptions): Observability {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const logs = new Logs({ logLevel: opts.logLevel, accessLog: opts.accessLog, stdout: opts.stdout });
  const logger = logs.logger;
  const admin = new AdminActions(opts.getRuntime);
  const auth = new AdminAuth(opts.adminToken);
  const vhosts = new VhostLabeler(() => opts.getRuntime().config.vhosts);
  const requests = new RequestMetrics(registry, vhosts);
  const snap = new ScrapeSnapshot({ getRuntime: opts.getRuntime, isDraining: opts.isDraining, version: opts.version, override: admin.override });
  registerScrapeMetrics(registry, snap, { directBytes: requests.directStats });

  const info = new Gauge({ name: 'ajplb_build_info', help: 'Always 1; the labels say which ajplb and Node.js run.', labelNames: ['version', 'node'], registers: [registry] });
  info.labels(opts.version, process.version).set(1);
  new Gauge({
    name: 'ajplb_draining', help: '1 while the daemon drains before exit (then /readyz fails).', registers: [registry],
    collect() {
      this.set(opts.isDraining() ? 1 : 0);
    },
  });
  const logTrouble = (read: (t: LogStreamTrouble) => number) => function collect(this: Counter<'log'>): void {
    this.reset();
    const t = logs.trouble;
    if (t.access !== null) this.labels('access').inc(read(t.access));
    if (t.stdout !== null) this.labels('stdout').inc(read(t.stdout));
  };
  new Counter({
    name: 'ajplb_log_write_errors_total', help: 'Failed writes of a log (log="access": the access log file, "stdout").',
    labelNames: ['log'], registers: [registry], collect: logTrouble((t) => t.errors),
  });
  new Counter({
    name: 'ajplb_log_dropped_lines_total', help: 'Log lines dropped because their destination failed or fell 16 MiB behind.',
    labelNames: ['log'], registers: [registry], collect: logTrouble((t) => t.droppedLines),
  });
  const { openConnections, inFlight } = opts;
  if (openConnections !== undefined) {
    new Gauge({ name: 'ajplb_http_open_connections', help: 'Client connections open on the front listeners.', registers: [registry], collect() { this.set(openConnections()); } });
  }
  if (inFlight !== undefined) {
    new Gauge({ name: 'ajplb_http_requests_in_flight', help: 'Client requests being served now.', registers: [registry], collect() { this.set(inFlight()); } });
  }

  const http = new ObserveHttp({
    registry, getRuntime: opts.getRuntime, isDraining: opts.isDraining, version: opts.version, admin, auth, logger,
    onAction: opts.onAdminAction, directStats: requests.directStats,
  });

  const observer: DaemonObserver = {
    onForwardDone(f: Forwarding): void {
      const totalMs = performance.now() - f.startedAt;
      // An absolute-form target's authority names the host, as for routing (front/server.ts).
      const vhost = vhosts.label(f.shape.authority ?? f.req.headers.host);
      requests.forwardDone(f, totalMs / 1000, vhost);
      logs.forwardDone(f, totalMs, vhost);
    },
    onAttemptFailed(f: Forwarding, worker: AjpTarget, outcome: string): void {
      requests.attemptFailed(f, worker, outcome);
    },
    onRouteMismatch(lb: LbTarget, member: number, fix: string): void {
      logger.warn({ lb: lb.name, member: lb.members[member]?.name }, fix);
    },
    onRejected(req: IncomingMessage, status: number, why: string): void {
      requests.rejected(req, status);
      logs.rejected(req, status, why, vhosts.label(req.headers.host));
    },
    onStatusRequest(req: IncomingMessage, res: ServerResponse, workerName: string): void {
      const started = performance.now();
      let readOnly = true;
      try {
        const t = opts.getRuntime().targets.byName.get(workerName);
        readOnly = t?.kind === 'status' ? t.config.readOnly : true;
      } catch {
        // no runtime: stay read-only
      }
      res.once('finish', () => logs.statusRequest(req, res.statusCode, performance.now() - started, workerName));
      http.statusWorker(req, res, readOnly);
    },
    onReload(ok: boolean, error?: unknown): void {
      requests.reload(ok);
      if (!ok) logger.error({ err: error }, 'configuration reload failed');
    },
  };

  return {
    logger,
    observer,
    adminHandler: http.handle,
    applyOverrides: (runtime) => admin.applyOverrides(runtime),
    reopenLogs: () => logs.reopen(),
    flushLogs: () => logs.flush(),
    closeLogs: (timeoutMs) => logs.close(timeoutMs),
    registry,
  };
}
