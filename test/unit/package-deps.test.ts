// The container image (Dockerfile) installs `dependencies` only: a package the daemon imports that sits in
// devDependencies would start fine here and crash in the image. And what the daemon never imports is dead
// weight in every production install.

import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Loaded only when installed, and the daemon runs without them (each says where it checks). */
const OPTIONAL_AT_RUNTIME: Record<string, string> = { 'pino-pretty': 'src/observe/logs.ts prettyAvailable()' };
/** Listed by the project's owners' choice though not imported; each says where the reason is written. */
const CHOSEN_NOT_IMPORTED: Record<string, string> = { ini: 'src/config/properties.ts: mod_jk does not read ; and [ as ini does' };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** `pino`, `@scope/name` from `pino/file`, `@scope/name/x`; null for relative paths and Node's own modules. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

function importedPackages(): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\.resolve\s*\(\s*|^import\s+)'([^']+)'/gm;
  for (const file of sources(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      const name = packageOf(m[1] as string);
      if (name !== null && !found.has(name)) found.set(name, file.slice(ROOT.length + 1));
    }
  }
  return found;
}

describe('package.json dependencies', () => {
  const imported = importedPackages();

  it('finds the packages the daemon imports (the scan works)', () => {
    expect([...imported.keys()]).toEqual(expect.arrayContaining(['pino', 'prom-client', 'sonic-boom', 'pino-pretty']));
  });

  it('lists every package the daemon imports under dependencies, the optional ones excepted', () => {
    const missing = [...imported].filter(([name]) => !(name in pkg.dependencies) && !(name in OPTIONAL_AT_RUNTIME));
    expect(missing.map(([name, file]) => `${name} (imported by ${file})`)).toEqual([]);
  });

  it('lists under dependencies only what the daemon imports', () => {
    const unused = Object.keys(pkg.dependencies).filter((name) => !imported.has(name) && !(name in CHOSEN_NOT_IMPORTED));
    expect(unused).toEqual([]);
  });

  it('keeps the optional ones out of dependencies', () => {
    for (const name of Object.keys(OPTIONAL_AT_RUNTIME)) {
      expect(imported.has(name)).toBe(true);
      expect(name in pkg.dependencies).toBe(false);
    }
  });
});
