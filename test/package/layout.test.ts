import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"`]([^'"`]+)['"`]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

test('the package entry points load and expose the library and the SDK', async () => {
  const lib = await import('smarttags');
  for (const name of ['learnSignatures', 'readRecordFiles', 'Topology', 'startSystem', 'createController', 'Driver', 'writeReport', 'InProcessBus']) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], 'function', name);
  }
  const sdk = await import('smarttags/sdk');
  assert.equal(typeof sdk.createTagger, 'function');
});

test('the SDK imports nothing but the protocol and Node built-ins', () => {
  for (const file of sources(join(root, 'src/sdk'))) {
    for (const spec of imports(file)) {
      const ok = spec.startsWith('node:') || spec.startsWith('./') || spec.startsWith('../protocol/');
      assert.ok(ok, `${relative(root, file)} imports ${spec}`);
    }
  }
});

test('nothing outside the CLI imports the CLI; the protocol imports no other component', () => {
  for (const file of sources(join(root, 'src'))) {
    const rel = relative(join(root, 'src'), file);
    for (const spec of imports(file)) {
      if (!rel.startsWith('cli/')) assert.ok(!/(^|\/)cli\//.test(spec), `${rel} imports ${spec}`);
      if (rel.startsWith('protocol/')) assert.ok(spec.startsWith('node:') || spec.startsWith('./'), `${rel} imports ${spec}`);
    }
  }
});

test('runtime dependencies are pinned to exact versions', () => {
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    assert.match(version, /^\d+\.\d+\.\d+(-[\w.]+)?$/, `${name}@${version}`);
  }
});
