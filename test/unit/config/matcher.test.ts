import { describe, expect, it } from 'vitest';
import { compileMounts, Diagnostics, parseMountRule } from '../../../src/config/index.js';
import type { MountRule, MountSource } from '../../../src/config/index.js';

let line = 0;
function rules(source: MountSource, ...specs: Array<[string, string]>): MountRule[] {
  const diag = new Diagnostics();
  return specs.flatMap(([p, w]) => parseMountRule(p, w, source, { file: source, line: ++line }, diag, { fatalBadPath: false }));
}

describe('mount matcher precedence (mod_jk worker_compare)', () => {
  const m = compileMounts([
    ...rules('worker.mount', ['/app/*', 'wm']),
    ...rules('jkmount', ['/*', 'root'], ['/app/*', 'jk'], ['/app/static/*', 'static'], ['/*.jsp', 'jsp'], ['/app/exact', 'exact']),
    ...rules('uriworkermap', ['/app/*', 'uwm'], ['/a?c/x', 'q']),
  ]);
  it.each([
    ['/index.html', 'root'],
    ['/app/x', 'uwm'],            // same pattern: uriworkermap > JkMount > worker.mount
    ['/app/static/a.css', 'static'], // more slashes first
    ['/app/exact', 'exact'],      // same slashes, longer pattern
    ['/app/static/a.jsp', 'static'],
    ['/x.jsp', 'jsp'],            // '/*.jsp' is longer than '/*'
    ['/abc/x', 'q'],
    ['/APP/x', 'root'],           // case-sensitive
  ])('%s -> %s', (path, worker) => {
    expect(m.match(path)?.worker).toBe(worker);
  });
  it('a prefix rule does not match the bare directory', () => {
    expect(compileMounts(rules('jkmount', ['/app/*', 'a'])).match('/app')).toBeUndefined();
  });
});

describe('X|Y, exclusions and disabled rules', () => {
  it('X|Y mounts both X and XY', () => {
    const m = compileMounts(rules('uriworkermap', ['/ex|/*', 'w']));
    expect(m.match('/ex')?.worker).toBe('w');
    expect(m.match('/ex/a')?.worker).toBe('w');
    expect(m.match('/exa')).toBeUndefined();
  });
  it('an exclusion cancels only the same worker or *', () => {
    const m = compileMounts(rules('uriworkermap', ['/*', 'a'], ['/img/*', 'b'], ['!/*.gif', 'a'], ['!/img/*.png', '*']));
    expect(m.match('/x.gif')).toBeUndefined();
    expect(m.match('/img/x.gif')?.worker).toBe('b');
    expect(m.match('/img/x.png')).toBeUndefined();
    expect(m.match('/x.png')?.worker).toBe('a');
  });
  it('an exclusion does not fall through to a lower rule', () => {
    const m = compileMounts(rules('uriworkermap', ['/*', 'a'], ['/app/*', 'b'], ['!/app/secret', 'b']));
    expect(m.match('/app/secret')).toBeUndefined();
  });
  it("'-' disables a rule instead of matching", () => {
    const m = compileMounts(rules('uriworkermap', ['/*', 'a'], ['-/app/*', 'b'], ['-!/*.gif', 'a']));
    expect(m.match('/app/x')?.worker).toBe('a');
    expect(m.match('/x.gif')?.worker).toBe('a');
  });
});

describe('rule extensions', () => {
  it('parses every extension after ;', () => {
    const [r] = rules('uriworkermap', ['/x/*', 'lb;reply_timeout=5000;active=a,b;disabled=c;stopped=d;fail_on_status=-500,503;use_server_errors=400;sticky_ignore=1;stateless=1;session_cookie=SID;session_path=;sid;set_session_cookie=1;session_cookie_path=/x']);
    expect(r!.worker).toBe('lb');
    expect(r!.extensions).toEqual({ replyTimeoutMs: 5000, active: ['a', 'b'], disabled: ['c'], stopped: ['d'], failOnStatus: [-500, 503],
      useServerErrors: 400, stickyIgnore: true, stateless: true, sessionCookie: 'SID', sessionPath: ';sid', setSessionCookie: true,
      sessionCookiePath: '/x' });
  });
  it('warns about an unknown extension with a did-you-mean', () => {
    const diag = new Diagnostics();
    parseMountRule('/x', 'w;reply_timout=1', 'jkmount', { file: 'f', line: 1 }, diag, { fatalBadPath: true });
    expect(diag.list[0]!.hint).toBe("did you mean 'reply_timeout'?");
  });
  it('JkMount without a leading / is an error, a uriworkermap line only a warning', () => {
    const d1 = new Diagnostics();
    parseMountRule('app/*', 'w', 'jkmount', { file: 'f', line: 1 }, d1, { fatalBadPath: true });
    expect(d1.hasErrors).toBe(true);
    const d2 = new Diagnostics();
    parseMountRule('app/*', 'w', 'uriworkermap', { file: 'f', line: 1 }, d2, { fatalBadPath: false });
    expect(d2.hasErrors).toBe(false);
  });
});
