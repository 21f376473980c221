import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { routeOfSessionId, sessionIdsFrom } from '../../../src/balancer/index.js';
import { makeLb, member, req, serve } from './helpers.js';

describe('sessionIdsFrom', () => {
  const find = (path: string, cookie?: string | string[]) => sessionIdsFrom(path, cookie, ';jsessionid', 'JSESSIONID');

  it('takes the path parameter, cut at ? ; or /', () => {
    expect(find('/app/x;jsessionid=ABC.node1')).toEqual(['ABC.node1']);
    expect(find('/app/x;jsessionid=ABC.node1?q=1')).toEqual(['ABC.node1']);
    expect(find('/app/x;jsessionid=ABC.node1;other=2')).toEqual(['ABC.node1']);
    expect(find('/app;jsessionid=ABC.node1/more')).toEqual(['ABC.node1']);
  });

  it('uses the path parameter alone when present, as mod_jk does', () => {
    expect(find('/a;jsessionid=P.n1', 'JSESSIONID=C.n2')).toEqual(['P.n1']);
  });

  it('reads every cookie named exactly session_cookie from every Cookie header, quotes removed', () => {
    expect(find('/', 'a=1; JSESSIONID=X.n1; JSESSIONIDX=no; xJSESSIONID=no, JSESSIONID="Y.n2"')).toEqual(['X.n1', 'Y.n2']);
    expect(find('/', ['JSESSIONID=A.n1', 'b=2;JSESSIONID =B.n2'])).toEqual(['A.n1', 'B.n2']);
    // mod_jk skips blanks before '=' but keeps them after it; the route after the first '.' still matches
    expect(find('/', 'JSESSIONID= C.n3')).toEqual([' C.n3']);
    expect(find('/', 'jsessionid=lower.n1')).toEqual([]); // names are case-sensitive
    expect(find('/', undefined)).toEqual([]);
    expect(find('/', 'JSESSIONID=')).toEqual([]);
  });

  it('route is the text after the FIRST dot', () => {
    expect(routeOfSessionId('ABC.d1.node1')).toBe('d1.node1');
    expect(routeOfSessionId('ABC')).toBe('');
  });

  it('property: a quoted or plain id among other cookies comes back unchanged', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9.]{1,30}$/);
    fc.assert(
      fc.property(id, fc.boolean(), fc.array(fc.stringMatching(/^[a-z]{1,5}=[a-z0-9]{0,5}$/), { maxLength: 4 }), (v, quoted, others) => {
        const cookie = [...others, `JSESSIONID=${quoted ? `"${v}"` : v}`, ...others].join('; ');
        expect(find('/p', cookie)).toEqual([v]);
      }),
    );
  });
});

describe('sticky routing', () => {
  const three = () => makeLb([member('a-was1'), member('a-was2'), member('a-was3')]);

  it('sends a session to the member whose route matches exactly, and returns that route', () => {
    const { lb } = three();
    for (let k = 0; k < 5; k++) {
      const r = lb.pick(req(['XYZ.a-was2']), 0);
      expect(r).toMatchObject({ member: 1, route: 'a-was2', sticky: true });
    }
    expect(lb.pick(req(['XYZ.a-was']), 0).sticky).toBe(false); // no prefix matching
  });

  it('tries every id in turn', () => {
    const { lb } = three();
    expect(lb.pick(req(['nope', 'Q.unknown', 'R.a-was3']), 0).member).toBe(2);
  });

  it('ignores sessions when sticky_session is off or the mount says sticky_ignore', () => {
    const off = makeLb([member('a'), member('b')], { stickySession: false }).lb;
    const picks = [0, 1, 2, 3].map(() => serve(off, req(['s.b'])));
    expect(picks).toContain(0);
    const { lb } = makeLb([member('a'), member('b')]);
    const ignored = [0, 1, 2, 3].map(() => serve(lb, req(['s.b'], { stickyIgnore: true })));
    expect(ignored).toContain(0);
  });

  it('domain: a route matching no member picks the best member of the domain before its first dot', () => {
    const { lb } = makeLb([
      member('n1', { route: 'd1.n1' }),
      member('n2', { route: 'd1.n2' }),
      member('n3', { route: 'd2.n3' }),
    ]);
    const r = lb.pick(req(['S.d2.gone']), 0);
    expect(r).toMatchObject({ member: 2, route: 'd2', sticky: false });
    expect(lb.pick(req(['S.d1']), 0).member).toBeLessThan(2);
  });

  it('a member in error sends its sessions to its redirect, else to its domain', () => {
    const { lb } = makeLb([
      member('a', { redirect: 'b', domain: 'g' }),
      member('b', { activation: 'disabled' }),
      member('c', { domain: 'g' }),
      member('d', { domain: 'g' }),
    ]);
    lb.begin(0, req());
    lb.end(0, 'status_fail');
    expect(lb.stateText(0)).toBe('ERR');
    // redirect may point at a DISABLED member: that is how hot standby works
    expect(lb.pick(req(['S.a']), 0)).toMatchObject({ member: 1, route: 'b', sticky: false });
    lb.begin(2, req());
    lb.end(2, 'status_fail');
    lb.begin(3, req());
    lb.end(3, 'status_fail');
    // c's domain has no one left and nobody is ACTIVE: the first redirect (a -> b) is the last resort
    expect(lb.pick(req(['S.c']), 0)).toMatchObject({ member: 1, route: 'b', sticky: false });
    lb.setActivation(1, 'stopped');
    expect(lb.pick(req(['S.c']), 0)).toMatchObject({ member: -1, status: 503, reason: 'no_member' });
  });

  it('falls back to the domain of a failed member without redirect', () => {
    const { lb } = makeLb([member('a', { domain: 'g' }), member('b', { domain: 'g' }), member('c')]);
    lb.begin(0, req());
    lb.end(0, 'status_fail');
    expect(lb.pick(req(['S.a']), 0)).toMatchObject({ member: 1, route: 'g', sticky: false });
  });

  it('sticky_session_force: a session for a failed member gets 503 instead of moving', () => {
    const { lb } = makeLb([member('a'), member('b')], { stickySessionForce: true });
    lb.begin(0, req());
    lb.end(0, 'status_fail');
    expect(lb.pick(req(['S.a']), 0)).toMatchObject({ member: -1, status: 503, reason: 'sticky_force' });
    expect(lb.pick(req(['S.b']), 0).member).toBe(1);
    expect(lb.pick(req(), 0).member).toBe(1); // no session: normal balancing
  });
});

describe('activation', () => {
  it('disabled takes sticky requests only; stopped takes none', () => {
    const { lb } = makeLb([member('a'), member('b', { activation: 'disabled' }), member('c')]);
    const fresh = Array.from({ length: 30 }, () => serve(lb, req()));
    expect(fresh).not.toContain(1);
    expect(lb.pick(req(['S.b']), 0)).toMatchObject({ member: 1, sticky: true });
    lb.setActivation(1, 'stopped');
    expect(lb.pick(req(['S.b']), 0).sticky).toBe(false);
    expect(lb.pick(req(['S.b']), 0).member).not.toBe(1);
    lb.setActivation(1, 'active');
    expect(Array.from({ length: 30 }, () => serve(lb, req()))).toContain(1);
  });

  it('mount rules override activation per request', () => {
    const { lb } = makeLb([member('a'), member('b')]);
    const rule = lb.compileActivations({ stopped: ['a'] });
    expect(Array.from({ length: 10 }, () => serve(lb, req(['S.a'], { activations: rule })))).toEqual(Array(10).fill(1));
    expect(lb.compileActivations({})).toBeNull();
  });

  it('a single member is always used while usable; a stopped one never', () => {
    const { lb } = makeLb([member('only')]);
    expect(lb.pick(req(), 0)).toMatchObject({ member: 0, sticky: true, route: 'only' });
    lb.setActivation(0, 'stopped');
    expect(lb.pick(req(), 0).member).toBe(-1);
    lb.setActivation(0, 'disabled');
    expect(lb.pick(req(), 0).member).toBe(-1);
    expect(lb.pick(req(['x.only']), 0).member).toBe(0);
  });

  it('port 0 makes a member stopped', () => {
    const { lb } = makeLb([member('a', { port: 0 }), member('b')]);
    expect(lb.snapshot().members[0]!.activation).toBe('STP');
  });

  it('two members sharing a route is refused', () => {
    expect(() => makeLb([member('a', { route: 'x' }), member('b', { route: 'x' })])).toThrow(/share the route x/);
  });
});
