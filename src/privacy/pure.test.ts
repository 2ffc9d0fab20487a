/** Checks that the privacy modules import no Node built-ins or packages (Web Crypto only), so a browser client can use them. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

test('privacy modules import only relative paths', () => {
  const dir = new URL('./', import.meta.url);
  const files = [
    ...readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')),
    ...readdirSync(new URL('secagg/', dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => `secagg/${f}`),
  ];
  assert.ok(files.length >= 15, `found ${files.length} files`);
  for (const file of files) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const imports = [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const spec of imports) assert.ok(spec.startsWith('.'), `${file} imports ${spec}; privacy code must stay platform-free`);
    assert.ok(!/Math\.random\(|tf\.random\w*\(/.test(text), `${file} must take randomness from csprng.ts`);
  }
});
