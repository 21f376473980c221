// The --procs primary: serves no traffic. It starts the workers: threads, each with its own SO_REUSEPORT
// listener and one lb state for all (Node >= 22.12), or processes that cluster shares each listening socket
// among (see port-sharing.ts). It owns the public admin listener, checks a reload before any worker sees it,
// and turns SIGTERM into a drain of every worker, exiting when the last one has.

import type { AppConfig } from '../config/types.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { parseListen } from '../listen.js';
import { Logs } from '../observe/logs.js';
import { createAdminServer } from '../observe/http.js';
import { PrimaryAdmin } from './admin.js';
import { Fleet } from './fleet.js';
import type { ProcsParams } from './params.js';
import { portSharing, procsMode, useRoundRobin } from './port-sharing.js';
import { SharedBalancerState } from './shared-state.js';

/** Beyond the workers' own drain timeout, how long the primary waits before it SIGKILLs what is left. */
const STOP_GRACE_MS = 5000;

export async function runPrimary(p: ProcsParams, config: AppConfig): Promise<void> {
  const logs = new Logs({ logLevel: p.logLevel, accessLog: false });
  const log = logs.logger.child({ role: 'primary' });
  // Certificates and addresses are checked here, before any worker starts.
  const sharing = portSharing(p.listen(config).map((s) => s.port));
  const mode = procsMode(p.procsMode, sharing);
  if (mode === 'processes') useRoundRobin();
  const lbState = new SharedBalancerState();
  let shared = mode === 'threads' ? lbState.update(config.workers) : {};
  const fleet = new Fleet(p.procs, log, p.adminToken, mode, () => shared);
  let draining = false;

  try {
    await fleet.start();
  } catch (err) {
    fleet.kill();
    throw err;
  }
  for (const a of fleet.addresses) log.info({ address: a.address, port: a.port, procs: p.procs, mode, sharing }, 'listening');

  if (p.admin !== 'off') {
    const spec = parseListen(p.admin);
    const admin = createAdminServer(new PrimaryAdmin(fleet, log, () => draining).handle);
    await new Promise<void>((resolve) => admin.listen(spec.port, spec.host, resolve));
    admin.unref();
    log.info({ address: spec.host, port: spec.port }, 'admin listening (/metrics /status /livez /readyz)');
  }

  process.on('SIGHUP', () => {
    if (draining) return;
    let next: AppConfig;
    try {
      next = p.load();
      const errs = next.diagnostics.filter((x) => x.severity === 'error');
      if (errs.length > 0) {
        for (const e of errs) log.error(formatDiagnostic(e));
        log.error('reload refused: the running configuration stays');
        fleet.sendAll({ ajplb: 'reload-refused', error: 'invalid configuration' });
        return;
      }
    } catch (err) {
      log.error({ err }, 'reload refused: the running configuration stays');
      fleet.sendAll({ ajplb: 'reload-refused', error: String(err) });
      return;
    }
    if (mode === 'threads') {
      try {
        shared = lbState.update(next.workers);
      } catch (err) {
        log.error({ err }, 'reload refused: the running configuration stays');
        fleet.sendAll({ ajplb: 'reload-refused', error: String(err) });
        return;
      }
      fleet.sendAll({ ajplb: 'reload', shared });
    } else {
      fleet.sendAll({ ajplb: 'reload' });
    }
  });
  process.on('SIGUSR1', () => fleet.sendAll({ ajplb: 'reopen-logs' }));
  const stop = (signal: string): void => {
    if (draining) return;
    draining = true;
    log.info({ signal, drainTimeoutSec: p.drainTimeoutSec }, 'draining');
    setTimeout(() => {
      log.error('workers still running after the drain timeout: killing them');
      fleet.kill();
    }, p.drainTimeoutSec * 1000 + STOP_GRACE_MS).unref();
    void fleet.stop().then(async () => {
      log.info('stopped');
      await logs.close(1000);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
