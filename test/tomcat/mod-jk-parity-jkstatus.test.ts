// mod_jk's status worker as scripts use it (cmd=list|show|update|reset|recover, mime=prop|txt|xml), asked of
// Apache httpd + mod_jk and of ajplb with the same workers.properties over the same two Tomcats: the same
// keys in the same order, the same values where they describe configuration or state, the same result lines,
// and the same effect of an update.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTomcat, type TomcatHandle } from './harness/index.js';
import { describeModJk, startParityFronts, type ParityFronts } from './mod-jk-env.js';
import { exchangeRaw, req } from './raw-http.js';

const TOKEN = 'parity-token';
/** Keys whose values are clocks, versions or the listening port: present in both, compared by name only. */
const VOLATILE = /\.(server_port|time_datetime|time_tz|time_unix|web_server|jk_version|last_reset_at|last_reset_ago|time_to_maintenance_min|time_to_maintenance_max)$|^worker\.(server_port|time_\w+|web_server|jk_version)$/;
/**
 * Byte counts are not the same quantity (mod_jk counts AJP bytes, ajplb body bytes); connections and busy peaks
 * follow each front's pools and threads.
 */
const TRAFFIC = /\.(transferred|read|max_busy|max_connected|connected)$/;

describeModJk('jkstatus scripting: ajplb answers as Apache + mod_jk does', () => {
  let tomcats: TomcatHandle[] = [];
  let fronts: ParityFronts;

  beforeAll(async () => {
    tomcats = await Promise.all([startTomcat({ jvmRoute: 'was1', httpPort: false }), startTomcat({ jvmRoute: 'was2', httpPort: false })]);
    fronts = await startParityFronts([tomcats[0]!.ajpPort, tomcats[1]!.ajpPort], tomcats.map((t) => t.pid), { jkStatus: true, adminToken: TOKEN });
  }, 120_000);

  afterAll(async () => {
    await fronts?.stop();
    await Promise.all(tomcats.map((t) => t.stop()));
  });

  const ask = async (port: number, query: string): Promise<{ status: number; type: string | undefined; body: string }> => {
    const res = await exchangeRaw(port, req(`GET /jkstatus?${query} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${TOKEN}`, 'Connection: close'));
    return { status: res.status, type: res.headers.get('content-type')?.[0], body: res.body.toString('utf8') };
  };

  const both = async (query: string): Promise<[string, string]> => {
    const [m, a] = [await ask(fronts.modJkPort, query), await ask(fronts.ajplbPort, query)];
    expect(a.status, query).toBe(m.status);
    expect(a.type, query).toBe(m.type);
    return [m.body, a.body];
  };

  /** A txt answer's line kinds and attribute names. */
  const shape = (text: string): string[] => text.trimEnd().split('\n').map((l) => `${l.split(':')[0]}:${[...l.matchAll(/ (\w+)=/g)].map((m) => m[1]).join(',')}`);

  /** An xml answer's elements and attribute names. */
  const tags = (text: string): string[] => [...text.matchAll(/<\/?jk:\w+|^\s+\w+=/gm)].map((m) => m[0].trim());

  const lines = (text: string): Array<[string, string]> => text.trimEnd().split('\n').map((l) => {
    const eq = l.indexOf('=');
    return [l.slice(0, eq), l.slice(eq + 1)];
  });

  it('list as properties: the same keys in the same order, and the same configuration and state values', async () => {
    // The same traffic through both since a reset (Apache's readiness probe went through mod_jk's lb): one
    // request per member, so the lb values, elected counts and states can be compared too, and one to the
    // worker used directly (Tomcat has no /solo context: a 404, counted as used either way).
    await both('cmd=reset&w=lb&mime=txt');
    for (const port of [fronts.modJkPort, fronts.ajplbPort]) {
      for (let i = 0; i < 2; i++) expect((await exchangeRaw(port, req('GET /echo HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close'))).status).toBe(200);
      expect((await exchangeRaw(port, req('GET /solo/echo HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close'))).status).toBe(404);
    }
    const [viaModJk, viaAjplb] = (await both('mime=prop')).map(lines) as [Array<[string, string]>, Array<[string, string]>];
    expect(viaAjplb.map(([k]) => k)).toEqual(viaModJk.map(([k]) => k));
    const comparable = (l: Array<[string, string]>): Array<[string, string]> => l.filter(([k]) => !VOLATILE.test(k) && !TRAFFIC.test(k));
    expect(comparable(viaAjplb)).toEqual(comparable(viaModJk));
  });

  it('txt and xml: the same lines and elements, each with the same attribute names', async () => {
    const [t1, t2] = await both('mime=txt');
    expect(shape(t2)).toEqual(shape(t1));
    const [x1, x2] = await both('mime=xml');
    const modJkTags = tags(x1);
    // mod_jk writes a member's connection_ping_interval before retries in XML only; ajplb keeps the txt order.
    const sortedWithin = (t: string[]): string[] => t.map((v, i) => (v === 'retries=' && t[i + 1] === 'connection_ping_interval=' ? 'connection_ping_interval=' : v === 'connection_ping_interval=' && t[i - 1] === 'retries=' ? 'retries=' : v));
    expect(sortedWithin(tags(x2))).toEqual(sortedWithin(modJkTags));
  });

  it('cmd=version in txt, prop and xml: the same lines, keys and elements (mod_jk 1.2.48 prints the Server line too)', async () => {
    const [t1, t2] = await both('cmd=version&mime=txt');
    expect(shape(t2)).toEqual(shape(t1));
    expect(t2).toMatch(/^Server: name=\S+ port=\d+$/m);
    const [p1, p2] = (await both('cmd=version&mime=prop')).map(lines) as [Array<[string, string]>, Array<[string, string]>];
    expect(p2.map(([k]) => k)).toEqual(p1.map(([k]) => k));
    const [x1, x2] = await both('cmd=version&mime=xml');
    expect(tags(x2)).toEqual(tags(x1));
  });

  it('show, errors and updates: the same result lines, and the same member settings afterwards', async () => {
    const queries = [
      'cmd=show&w=lb&sw=was2&mime=txt',
      'cmd=show&mime=txt',
      'cmd=show&w=nope&mime=prop',
      'cmd=update&w=lb&sw=nope&vwa=1&mime=txt',
      'cmd=frob&mime=xml',
      'cmd=update&from=list&w=lb&sw=was1&vwa=1&mime=txt',
      'cmd=update&w=lb&sw=was2&vwf=3&mime=prop',
      'cmd=recover&w=lb&sw=was2&mime=txt',
      'cmd=reset&w=lb&sw=was2&mime=xml',
    ];
    for (const q of queries) {
      const [m, a] = await both(q);
      const result = (text: string): string[] => text.split('\n').filter((l) => /Result:|result\.|jk:result|type="|message="/.test(l) && !/ (name|uri)=/.test(l));
      expect(result(a), q).toEqual(result(m));
      if (q.startsWith('cmd=show&w=lb')) expect(shape(a), q).toEqual(shape(m));
    }
    const settings = async (port: number): Promise<string[]> => (await ask(port, 'mime=prop')).body.split('\n').filter((l) => /\.(activation|lbfactor|state)=/.test(l));
    const after = await settings(fronts.modJkPort);
    expect(after).toContain('worker.was1.activation=DIS');
    expect(after).toContain('worker.was2.lbfactor=3');
    expect(await settings(fronts.ajplbPort)).toEqual(after);
  });
});
