// The packed tarball ships a licence, what its Markdown links to, and source maps that carry
// their sources. Run by scripts/compat/run.sh (`node --test`), which passes the tarball in
// COMPAT_TARBALL; alone (`node --test tests/compat/package-contents.mjs`) it packs the
// repository's current dist/ itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir;
/** Paths of the shipped files, relative to the package root. */
let files;

function walk(base, relative = '') {
  return fs.readdirSync(path.join(base, relative), { withFileTypes: true }).flatMap((entry) => {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    return entry.isDirectory() ? walk(base, child) : [child];
  });
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-resilience-contents-'));
  let tarball = process.env.COMPAT_TARBALL;
  if (!tarball) {
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
    tarball = path.join(dir, name.trim().split('\n').pop());
  }
  fs.mkdirSync(path.join(dir, 'package'));
  execFileSync('tar', ['-xzf', tarball, '-C', path.join(dir, 'package'), '--strip-components=1']);
  files = walk(path.join(dir, 'package'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const read = (file) => fs.readFileSync(path.join(dir, 'package', file), 'utf8');

describe('the packed tarball', () => {
  it('ships an MIT LICENSE, as package.json declares', () => {
    assert.ok(files.includes('LICENSE'));
    assert.equal(JSON.parse(read('package.json')).license, 'MIT');
    assert.match(read('LICENSE'), /^MIT License\s+Copyright \(c\) 2026 llm-resilience contributors/);
  });

  it('ships every file and folder its Markdown files link to (relative links)', () => {
    const markdown = files.filter((file) => file.endsWith('.md'));
    assert.ok(markdown.includes('README.md') && markdown.includes('CHANGELOG.md'));
    const broken = [];
    for (const file of markdown) {
      // [text](target) and [text](target "title"); absolute URLs, mailto: and #anchors are not files.
      for (const [, target] of read(file).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
        const linked = path.posix.normalize(path.posix.join(path.posix.dirname(file), target.split('#')[0]));
        const isFile = files.includes(linked);
        const isFolder = files.some((shipped) => shipped.startsWith(`${linked.replace(/\/$/, '')}/`));
        if (!isFile && !isFolder) broken.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('ships each source map with the sources it maps (inlined), or no map', () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    const missing = [];
    for (const file of maps) {
      const map = JSON.parse(read(file));
      map.sources.forEach((source, index) => {
        const shipped = files.includes(path.posix.normalize(path.posix.join(path.posix.dirname(file), source)));
        if (!shipped && typeof map.sourcesContent?.[index] !== 'string') missing.push(`${file}: ${source}`);
      });
    }
    assert.deepEqual(missing, []);
  });

  it('ships no tests, TypeScript build info or sources beyond what README links to', () => {
    const unexpected = files.filter(
      (file) =>
        file.startsWith('tests/') ||
        file.endsWith('.tsbuildinfo') ||
        (file.startsWith('src/') && file !== 'src/config/defaults.ts'),
    );
    assert.deepEqual(unexpected, []);
  });
});
