import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/*
 * The folders of src/ in layers: a file may import from its own folder and from folders of a
 * lower layer only (docs/architecture.md draws the same map). Folders of one layer stay
 * independent of each other. `testing` (the fault server) stands apart: it imports nothing
 * of the library.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['internal', 'ports', 'testing'],
  ['classification'],
  ['observability', 'strategies'],
  ['config'],
  ['upstreams'],
  ['engine'],
  ['pipeline'],
  ['decorators'],
  ['llm'],
  ['integrations'],
  ['index.ts'],
];

const SRC = join(__dirname, '..', '..', 'src');

function layerOf(folder: string): number {
  const layer = LAYERS.findIndex((folders) => folders.includes(folder));
  if (layer < 0) throw new Error(`src/${folder} is in no layer: add it to LAYERS and to docs/architecture.md`);
  return layer;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The top folder of src/ a path is in (`index.ts` for the entry point). */
function topOf(path: string): string {
  return relative(SRC, path).split(sep)[0];
}

interface Import {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;
const BARE_IMPORT = /(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

const files = sourceFiles(SRC);
const imports: Import[] = files.flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => ({
    from: topOf(file),
    to: topOf(normalize(join(dirname(file), match[1]))),
    file: relative(SRC, file),
    specifier: match[1],
  })),
);

describe('the layers of src/', () => {
  it('finds the imports it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.filter((i) => i.from === 'engine' && i.to === 'strategies').length).toBeGreaterThan(5);
  });

  it('puts every folder of src/ in a layer', () => {
    for (const name of readdirSync(SRC)) expect(() => layerOf(name)).not.toThrow();
  });

  it('imports only from lower layers (or the same folder)', () => {
    const upward = imports
      .filter((i) => i.from !== i.to && layerOf(i.to) >= layerOf(i.from))
      .map((i) => `src/${i.file} imports ${i.specifier} (${i.from} may not depend on ${i.to})`);
    expect(upward).toEqual([]);
  });

  it('keeps the fault server (src/testing) apart from the library', () => {
    const out = imports.filter((i) => i.from === 'testing' && i.to !== 'testing').map((i) => `src/${i.file}`);
    expect(out).toEqual([]);
  });

  it('has no side-effect imports (wiring is explicit: engine/wiring.ts)', () => {
    const bare = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(BARE_IMPORT)].map((match) => `src/${relative(SRC, file)}: ${match[1]}`),
    );
    expect(bare).toEqual([]);
  });
});

describe('the strategy folders', () => {
  const strategies = join(SRC, 'strategies');
  const folders = readdirSync(strategies).filter((name) => statSync(join(strategies, name)).isDirectory());

  it('are the ones the pipeline runs', () => {
    expect(folders.sort()).toEqual([
      'bulkhead',
      'circuit-breaker',
      'rate-limit',
      'retry',
      'retry-budget',
      'stream-commit',
      'timeout',
    ]);
  });

  it.each(folders)('%s has a hub (index.ts) and its own options, state or stage files', (folder) => {
    const names = readdirSync(join(strategies, folder));
    expect(names).toContain('index.ts');
    expect(names.length).toBeGreaterThan(2);
  });

  it('keeps every engine and strategy file short enough to read (about 300 lines; the adaptive limiter is one algorithm)', () => {
    const long = files
      .filter((file) => ['engine', 'pipeline', 'strategies'].includes(topOf(file)))
      .filter((file) => !file.endsWith('adaptive-rate-limiter.ts'))
      .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 360);
    expect(long).toEqual([]);
  });
});
