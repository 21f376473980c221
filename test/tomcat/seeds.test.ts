// Seed 000's setup, unchanged but for addresses: its httpd.conf (with the Include of mod_jk.conf and
// httpd-vhosts.conf, rotatelogs pipes and all) and its workers.properties, in front of four real Tomcats whose
// jvmRoutes are the worker names. Each Host reaches its own site's Tomcats, both of them.

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { loopbackCopy, type LoopbackCopy } from '../support/loopback-config.js';
import { describeTomcat, startTomcat, type TomcatHandle } from './harness/index.js';

const SEED = join(import.meta.dirname, '../unit/config/fixtures/seed000');

describeTomcat('seed 000: two sites, two lbs, four Tomcats', () => {
  const tomcats = new Map<string, TomcatHandle>();
  let copy: LoopbackCopy | undefined;
  let daemon: Daemon | undefined;
  let base = '';

  beforeAll(async () => {
    const names = ['a-was1', 'a-was2', 'b-was1', 'b-was2'];
    const started = await Promise.all(names.map((jvmRoute) => startTomcat({ jvmRoute, httpPort: false })));
    names.forEach((n, i) => tomcats.set(n, started[i] as TomcatHandle));
    copy = loopbackCopy(SEED, (worker) => {
      const t = tomcats.get(worker);
      if (t === undefined) throw new Error(`seed names a worker the test did not start: ${worker}`);
      return t.ajpPort;
    });
    const config = loadConfig({ httpdConf: join(copy.dir, 'conf/httpd.conf'), pathMap: [{ from: '/usr/local/apache', to: copy.dir }] });
    expect(config.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    daemon = await startDaemon({ config, listen: [{ host: '127.0.0.1', port: 0, vhostPort: 80 }] });
    base = `http://127.0.0.1:${(daemon.addresses[0] as AddressInfo).port}`;
  });

  afterAll(async () => {
    await daemon?.stop(1000);
    await Promise.all([...tomcats.values()].map((t) => t.stop()));
    copy?.remove();
  });

  async function routeFor(host: string, path = '/echo', cookie?: string): Promise<{ route: string; status: number; setCookie: unknown }> {
    const res = await request(`${base}${path}`, { headers: { host, ...(cookie ? { cookie } : {}) } });
    await res.body.dump();
    return { route: String(res.headers['x-route']), status: res.statusCode, setCookie: res.headers['set-cookie'] };
  }

  it('sends each site to its own lb, balanced over both of its Tomcats', async () => {
    for (const site of ['a', 'b']) {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const r = await routeFor(`${site}-site.com`);
        expect(r.status).toBe(200);
        seen.add(r.route);
      }
      expect([...seen].sort()).toEqual([`${site}-was1`, `${site}-was2`]);
    }
  });

  it('keeps a sessionTest.jsp session on the Tomcat its jvmRoute names', async () => {
    const first = await routeFor('a-site.com', '/sessionTest.jsp');
    const cookie = String(Array.isArray(first.setCookie) ? first.setCookie[0] : first.setCookie).split(';')[0] as string;
    expect(cookie).toMatch(new RegExp(`^JSESSIONID=[^.]+\\.${first.route}$`));
    for (let i = 0; i < 10; i++) expect((await routeFor('a-site.com', '/sessionTest.jsp', cookie)).route).toBe(first.route);
  });

  it('answers an unknown Host from the first vhost, as Apache does', async () => {
    expect((await routeFor('unknown.example')).route).toMatch(/^a-was[12]$/);
  });
});
