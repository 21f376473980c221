import { describe, expect, it } from 'vitest';
import { Diagnostics, readProperties, resolveReferences, parseJkBool, parseJkInt } from '../../../src/config/index.js';

const read = (text: string, env: Record<string, string> = {}) => {
  const diag = new Diagnostics();
  const map = readProperties(text, 'w.properties', diag, { mode: 'workers', env });
  return { map, diag, get: (k: string) => map.entries.get(k)?.value };
};

describe('properties reader (mod_jk jk_map.c rules)', () => {
  it('strips # comments anywhere, trims keys and values, handles CRLF', () => {
    const { get } = read('worker.list = a , b # trailing\r\n  # whole line\r\nworker.a.port=8009#x\r\n');
    expect(get('worker.list')).toBe('a , b');
    expect(get('worker.a.port')).toBe('8009');
  });

  it('has no line continuation and says so', () => {
    const { get, diag } = read('worker.list=a,\\\nb\n');
    expect(get('worker.list')).toBe('a,\\');
    expect(diag.list.some((d) => d.line === 1 && /continuation/.test(d.message))).toBe(true);
    expect(diag.list.some((d) => d.line === 2 && /no '='/.test(d.message))).toBe(true);
  });

  it('substitutes $(var) from earlier keys, then the environment, leaving unknown ones', () => {
    const { get } = read('base=10.0.0\nworker.a.host=$(base).1\nworker.b.host=$(HOSTB)\nworker.c.host=$(nope)\n', { HOSTB: 'envhost' });
    expect(get('worker.a.host')).toBe('10.0.0.1');
    expect(get('worker.b.host')).toBe('envhost');
    expect(get('worker.c.host')).toBe('$(nope)');
  });

  it('joins repeated list attributes and overwrites others with a warning naming both lines', () => {
    const { get, diag } = read('worker.list=a\nworker.list=b\nworker.lb.balance_workers=a\nworker.lb.balance_workers=b\nworker.a.port=1\nworker.a.port=2\n');
    expect(get('worker.list')).toBe('a,b');
    expect(get('worker.lb.balance_workers')).toBe('a,b');
    expect(get('worker.a.port')).toBe('2');
    const w = diag.list.find((d) => d.directive === 'worker.a.port')!;
    expect(w.line).toBe(6);
    expect(w.message).toMatch(/line 5/);
  });

  it('keeps every line with file:line', () => {
    const { map } = read('# c\nworker.list=a\n');
    expect(map.lines).toEqual([{ ref: { file: 'w.properties', line: 1 }, text: '# c' }, { ref: { file: 'w.properties', line: 2 }, text: 'worker.list=a' }]);
    expect(map.entries.get('worker.list')!.ref).toEqual({ file: 'w.properties', line: 2 });
  });

  it('resolves reference= recursively without overriding own keys', () => {
    const { map, diag } = read('worker.base.port=9000\nworker.base.host=h\nworker.mid.reference=worker.base\nworker.mid.host=m\nworker.a.reference=worker.mid\n');
    resolveReferences(map, diag);
    expect(map.entries.get('worker.a.port')!.value).toBe('9000');
    expect(map.entries.get('worker.a.host')!.value).toBe('m');
    expect(map.entries.get('worker.a.port')!.ref.line).toBe(1);
    expect(diag.hasErrors).toBe(false);
  });

  it('reports a missing template and a reference cycle as errors', () => {
    const { map, diag } = read('worker.a.reference=worker.tpl\nworker.x.reference=worker.y\nworker.y.reference=worker.x\n');
    resolveReferences(map, diag);
    expect(diag.list.filter((d) => d.severity === 'error').length).toBeGreaterThanOrEqual(2);
    expect(diag.list.some((d) => d.line === 1 && /not found/.test(d.message))).toBe(true);
    expect(diag.list.some((d) => /circular/.test(d.message))).toBe(true);
  });
});

describe('values', () => {
  it('reads integers like jk_map_get_int, with k/m suffixes', () => {
    expect(parseJkInt('8k', 0)).toEqual({ value: 8192, clean: true });
    expect(parseJkInt('2M', 0)).toEqual({ value: 2097152, clean: true });
    expect(parseJkInt('abc', 8009)).toEqual({ value: 8009, clean: false });
    expect(parseJkInt('8009abc', 1)).toEqual({ value: 8009, clean: false });
  });
  it('reads booleans like jk_get_bool_code', () => {
    for (const t of ['on', 'On', '1', 'true', 'yes', 'Y', 'tru']) expect(parseJkBool(t, false).value).toBe(true);
    for (const f of ['off', '0', 'false', 'no', 'N', 'foo']) expect(parseJkBool(f, true).value).toBe(false);
    expect(parseJkBool('maybe', true)).toEqual({ value: true, clean: false });
  });
});
