// The comparison with the real Apache + mod_jk needs Debian's apache2 and libapache2-mod-jk besides Tomcat.
// As for Tomcat alone: skipped with a warning on a developer's machine without them, a failure under CI=true.
// startParityFronts starts the two fronts being compared.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { APACHE_BIN, MODULES, workersProperties } from '../../bench/apache.js';
import { startFront } from '../../bench/fronts.js';
import { loadConfig } from '../../src/config/load.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { createObservability } from '../../src/observe/index.js';
import { tomcatAvailable } from './harness/index.js';

export function modJkAvailable(): { ok: true } | { ok: false; reason: string } {
  const tomcat = tomcatAvailable();
  if (!tomcat.ok) return tomcat;
  const missing = [APACHE_BIN, join(MODULES, 'mod_jk.so'), join(MODULES, 'mod_mpm_event.so')].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    return { ok: false, reason: `Apache + mod_jk not installed (missing ${missing.join(', ')}); apt-get install apache2 libapache2-mod-jk` };
  }
  return { ok: true };
}

function pickDescribe(): typeof describe {
  const available = modJkAvailable();
  if (available.ok || process.env['CI'] === 'true') return describe;
  console.warn(`[mod_jk parity] skipping: ${available.reason}`);
  return describe.skip as unknown as typeof describe;
}

export const describeModJk: typeof describe = pickDescribe();

export interface ParityFronts {
  modJkPort: number;
  ajplbPort: number;
  /** Stops both and removes Apache's ServerRoot. */
  stop(): Promise<void>;
}

/**
 * Apache + mod_jk as the bench runs it and ajplb in-process, reading the same workers.properties (an lb over
 * members was1/was2 on these AJP ports, `/*` mounted). Fails with the reason when Apache or mod_jk is missing.
 * `jkStatus`: also a status worker `jkstatus` at /jkstatus and a worker `solo` used without an lb at /solo/*, in
 * both; ajplb's status worker takes actions with `adminToken`.
 */
export async function startParityFronts(ajpPorts: [number, number], pids: number[], opts: { jkStatus?: boolean; adminToken?: string } = {}): Promise<ParityFronts> {
  const available = modJkAvailable();
  if (!available.ok) throw new Error(available.reason);
  const backend = { name: 'tomcat' as const, ajpPorts, pids, jkStatus: opts.jkStatus };
  const scratch = mkdtempSync(join(tmpdir(), 'ajplb-parity-'));
  const modJk = await startFront('mod_jk', backend, { repo: process.cwd(), scratch });
  try {
    const mountArgs = opts.jkStatus === true ? ['/*=lb', '/jkstatus=jkstatus', '/solo/*=solo'] : ['/*=lb'];
    const config = loadConfig({ workerProperties: workersProperties(backend).split('\n'), mountArgs });
    let started: Daemon | undefined;
    const obs = opts.jkStatus === true
      ? createObservability({ getRuntime: () => (started as Daemon).runtime, isDraining: () => false, version: 'test', logLevel: 'silent', defaultMetrics: false, adminToken: opts.adminToken })
      : undefined;
    const daemon = await startDaemon({ config, listen: [{ host: '127.0.0.1', port: 0 }], observer: obs?.observer });
    started = daemon;
    return {
      modJkPort: modJk.port,
      ajplbPort: (daemon.addresses[0] as AddressInfo).port,
      stop: async () => {
        await daemon.stop(1000);
        await modJk.stop();
        rmSync(scratch, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await modJk.stop();
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
}
