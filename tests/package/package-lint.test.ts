import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/node-process';
import { makeTempDir, packTarball, removeTempDir, runNodeJson } from './packed-package';

// publint (package.json against what the tarball ships) and Are the Types Wrong
// (TypeScript's view of every entry point under node10, node16 from CommonJS and from ESM,
// and bundler resolution), both on the tarball `npm pack` makes, offline. Needs dist/.
// `npm run check:package` runs the same two tools with their own output.

let temp: string;
let tarball: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before jest (`npm test` does it for you).');
  }
  temp = makeTempDir('package-lint');
  tarball = packTarball(temp);
}, 60_000);

afterAll(() => removeTempDir(temp));

it('publint finds nothing, not even a suggestion', () => {
  const messages = runNodeJson(ROOT, [
    '--input-type=module',
    '-e',
    `
      import fs from 'node:fs';
      import { publint } from 'publint';
      import { formatMessage } from 'publint/utils';
      const tarball = fs.readFileSync(${JSON.stringify(tarball)});
      const { messages, pkg } = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, level: 'suggestion', strict: true });
      console.log(JSON.stringify(messages.map((m) => m.type + ': ' + formatMessage(m, pkg, { color: false }))));
    `,
  ]);
  expect(messages).toEqual([]);
});

describe('Are the Types Wrong', () => {
  let report: {
    analysis: {
      problems: unknown[];
      entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
    };
  };

  beforeAll(() => {
    const cli = path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    // Its output goes to a file: attw exits with process.exit() when it finds problems, which
    // cuts a long report short on a pipe.
    const output = path.join(temp, 'attw.json');
    const fd = fs.openSync(output, 'w');
    let run;
    try {
      run = spawnSync(process.execPath, [cli, tarball, '--format', 'json', '--profile', 'strict'], {
        cwd: temp,
        encoding: 'utf8',
        stdio: ['ignore', fd, 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
        timeout: 60_000,
      });
    } finally {
      fs.closeSync(fd);
    }
    const text = fs.readFileSync(output, 'utf8');
    if (text.trim() === '') throw new Error(`attw printed nothing (exit ${run.status}):\n${run.stderr}`);
    report = JSON.parse(text);
  }, 60_000);

  it('reports no problem', () => {
    expect(report.analysis.problems).toEqual([]);
  });

  it('checked every subpath, and each resolves to declarations under every resolution mode', () => {
    const { entrypoints } = report.analysis;
    expect(Object.keys(entrypoints).sort()).toEqual(['.', './nestjs', './package.json', './redis', './testing']);
    for (const subpath of ['.', './nestjs', './redis', './testing']) {
      const resolutions = entrypoints[subpath].resolutions;
      expect(Object.keys(resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
      // ESM importers get the .d.mts that matches the .mjs wrapper; the others the CommonJS .d.ts.
      expect(resolutions['node16-esm'].resolution?.fileName).toMatch(/\/dist\/esm\/[a-z]+\.d\.mts$/);
      expect(resolutions['node16-cjs'].resolution?.fileName).toMatch(/\/dist\/cjs\/.*index\.d\.ts$/);
      expect(resolutions.node10.resolution?.fileName).toMatch(/\/dist\/cjs\/.*index\.d\.ts$/);
    }
  });
});
