// Two Tomcats (was1, was2) behind Apache httpd + mod_jk and behind ajplb, one workers.properties: the member each
// request goes to must be the same, for sticky sessions by cookie or ;jsessionid and for the lb's own split.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTomcat, type TomcatHandle } from './harness/index.js';
import { describeModJk, startParityFronts, type ParityFronts } from './mod-jk-env.js';
import { exchangeRaw, req } from './raw-http.js';

describeModJk('ajplb and Apache + mod_jk over two Tomcats: where sticky sessions and balancing send requests', () => {
  let tomcats: TomcatHandle[] = [];
  let fronts: ParityFronts;

  beforeAll(async () => {
    tomcats = await Promise.all([startTomcat({ jvmRoute: 'was1', httpPort: false }), startTomcat({ jvmRoute: 'was2', httpPort: false })]);
    fronts = await startParityFronts([tomcats[0]!.ajpPort, tomcats[1]!.ajpPort], tomcats.map((t) => t.pid));
  }, 120_000);

  afterAll(async () => {
    await fronts?.stop();
    await Promise.all(tomcats.map((t) => t.stop()));
  });

  const routeOf = async (port: number, request: string): Promise<string | undefined> => {
    const res = await exchangeRaw(port, request);
    expect(res.status, res.body.toString()).toBe(200);
    return res.headers.get('x-route')?.[0];
  };

  const STICKY: { name: string; request: string }[] = [
    { name: 'cookie for was2', request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Cookie: JSESSIONID=ABC.was2', 'Connection: close') },
    { name: 'cookie for was1 after others', request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Cookie: x=1; JSESSIONID=ABC.was1; y=2', 'Connection: close') },
    { name: 'path parameter for was2', request: req('GET /echo;jsessionid=ABC.was2 HTTP/1.1', 'Host: a-site.com', 'Connection: close') },
    { name: 'path parameter wins over the cookie', request: req('GET /echo;jsessionid=ABC.was2 HTTP/1.1', 'Host: a-site.com', 'Cookie: JSESSIONID=ABC.was1', 'Connection: close') },
    { name: 'lower-case jsessionid cookie', request: req('GET /echo HTTP/1.1', 'Host: a-site.com', 'Cookie: jsessionid=ABC.was2', 'Connection: close') },
  ];

  for (const c of STICKY) {
    it(`sticky: ${c.name}`, async () => {
      const viaModJk = await routeOf(fronts.modJkPort, c.request);
      expect(await routeOf(fronts.ajplbPort, c.request)).toBe(viaModJk);
    });
  }

  it('a session for a route no member has, and no session at all, go to both members alike', async () => {
    for (const cookie of ['JSESSIONID=ABC.was9', undefined]) {
      const request = req('GET /echo HTTP/1.1', 'Host: a-site.com', ...(cookie ? [`Cookie: ${cookie}`] : []), 'Connection: close');
      const counts = async (port: number): Promise<Record<string, number>> => {
        const seen: Record<string, number> = {};
        for (let i = 0; i < 10; i++) {
          const route = (await routeOf(port, request)) ?? 'none';
          seen[route] = (seen[route] ?? 0) + 1;
        }
        return seen;
      };
      const viaModJk = await counts(fronts.modJkPort);
      expect(viaModJk, String(cookie)).toEqual({ was1: 5, was2: 5 });
      expect(await counts(fronts.ajplbPort), String(cookie)).toEqual(viaModJk);
    }
  });
});

