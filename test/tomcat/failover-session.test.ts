// The seed's promise (seeds/000, sessionTest.jsp) through ajplb on a real two-node Tomcat cluster: a session
// sticks to the node named in its cookie, survives that node's kill -9 on the other one (DeltaManager
// replication, JvmRouteBinderValve re-issuing the cookie), and the restarted node gets new sessions again once
// recover_time has passed.

import { request } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeTomcat, startCluster, type TomcatHandle } from './harness/index.js';
import { startAjplb, until, watchStates, type Ajplb } from './failover-helpers.js';

interface SessionReply {
  sessionId: string;
  count: number;
  route: string;
}

interface Hit {
  status: number;
  route: string;
  reply: SessionReply;
  /** JSESSIONID=value from Set-Cookie, if any. */
  setCookie: string | undefined;
  ms: number;
}

describeTomcat('failover: sticky sessions on a real Tomcat cluster', () => {
  let nodes: TomcatHandle[] = [];
  let ajplb: Ajplb | undefined;

  beforeAll(async () => {
    nodes = await startCluster(2, { httpPort: false });
    ajplb = await startAjplb(nodes, { globalLines: ['worker.maintain=1'], lbLines: ['recover_time=2'] });
  });
  afterAll(async () => {
    for (const node of nodes) node.resume();
    await ajplb?.close();
    await Promise.all(nodes.map((node) => node.stop()));
  });

  async function hit(path: string, cookie?: string): Promise<Hit> {
    const t0 = performance.now();
    const res = await request(`${(ajplb as Ajplb).base}${path}`, { headers: cookie === undefined ? {} : { cookie } });
    const text = await res.body.text();
    const ms = performance.now() - t0;
    await (ajplb as Ajplb).settled();
    const setCookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const session = setCookies.map((c) => c.split(';')[0] as string).find((c) => c.startsWith('JSESSIONID='));
    expect(res.statusCode, text).toBe(200);
    return { status: res.statusCode, route: String(res.headers['x-route']), reply: JSON.parse(text) as SessionReply, setCookie: session, ms };
  }

  test('a session sticks to its node, survives its kill -9 on the other, and the restarted node gets new sessions', async () => {
    const lb = ajplb as Ajplb;
    // Both nodes compile the JSP before the clock matters (sessions without a cookie go round the lb).
    const warmed = new Set<string>();
    await until(async () => warmed.add((await hit('/sessionTest.jsp')).route).size === 2, 20_000, () => `warm-up reached only ${[...warmed]}`);
    const first = await hit('/sessionTest.jsp');
    expect(first.setCookie).toMatch(/^JSESSIONID=[0-9A-F]+\.was[12]$/);
    let cookie = first.setCookie as string;
    const home = first.route;
    expect(cookie.endsWith(`.${home}`)).toBe(true);
    expect(first.reply.count).toBe(1);
    const homeNode = nodes.find((n) => n.jvmRoute === home) as TomcatHandle;
    const other = nodes.find((n) => n !== homeNode) as TomcatHandle;
    const otherRoute = other.jvmRoute as string;

    const routes = new Set<string>();
    const counts: number[] = [];
    for (let i = 0; i < 100; i++) {
      const h = await hit('/sessionTest.jsp', cookie);
      routes.add(h.route);
      counts.push(h.reply.count);
    }
    expect([...routes]).toEqual([home]);
    expect(counts).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));

    const states = watchStates(lb, 5);
    const killForward = lb.forwards.length;
    const diag = (): string => `states ${JSON.stringify(states.seen(home))}; forwards since kill ${JSON.stringify(lb.forwards.slice(killForward).map((f) => ({ ...f, ms: Math.round(f.ms), endedAt: f.endedAt - states.startedAt })))}`;
    await homeNode.kill('SIGKILL');
    const after = await hit('/sessionTest.jsp', cookie);
    expect(after.route).toBe(otherRoute);
    // The same session, moved: JvmRouteBinderValve kept its id, re-routed it and said so in a new cookie.
    const sessionId = cookie.slice('JSESSIONID='.length);
    expect(after.reply.sessionId).toBe(sessionId.replace(new RegExp(`\\.${home}$`), `.${otherRoute}`));
    expect(after.setCookie).toBe(`JSESSIONID=${after.reply.sessionId}`);
    // Its state came along. Replication is asynchronous (channelSendOptions=8): a kill within moments of the last
    // change can lose that change, which on a busy machine happens; the count must go on all the same.
    if (after.reply.count !== 102) console.warn(`[failover-session] count after failover ${after.reply.count} (last change not yet replicated at the kill)`);
    expect(after.reply.count).toBeGreaterThanOrEqual(95);
    expect(after.reply.count).toBeLessThanOrEqual(102);
    const last = lb.forwards.at(-1);
    expect(last, diag()).toMatchObject({ attempts: 2, status: 200, member: otherRoute });
    expect(lb.member(home).state).toBe('ERR');
    expect(lb.member(home).errorsTotal).toBeGreaterThan(0);
    console.info(`[failover-session] first request after kill -9 of ${home}: ${after.ms.toFixed(0)} ms, ${last?.attempts} attempts`);

    cookie = after.setCookie as string;
    const next = await hit('/sessionTest.jsp', cookie);
    expect(next).toMatchObject({ route: otherRoute, reply: { count: after.reply.count + 1 }, setCookie: undefined });

    await homeNode.restart();
    const restarted = Date.now();
    // After recover_time the restarted node is probed again by ordinary traffic: new sessions land on it.
    const deadline = Date.now() + 20_000;
    let fresh: Hit | undefined;
    await until(async () => {
      fresh = await hit('/sessionTest.jsp');
      return fresh.route === home;
    }, deadline - Date.now(), () => `no new session landed on ${home}; member: ${JSON.stringify(lb.member(home))}`);
    console.info(`[failover-session] ${home} restarted in ${homeNode.startMs} ms; first new session on it ${Date.now() - restarted} ms after`);
    expect(fresh?.setCookie).toMatch(new RegExp(`^JSESSIONID=[0-9A-F]+\\.${home}$`));
    expect(fresh?.reply.count).toBe(1);
    expect(lb.member(home).state, diag()).toMatch(/^OK/);
    states.stop();
    // The moved session stays where it is now, with its count.
    expect(await hit('/sessionTest.jsp', cookie)).toMatchObject({ route: otherRoute, reply: { count: after.reply.count + 2 } });
  }, 90_000);
});
