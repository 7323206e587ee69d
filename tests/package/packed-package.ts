import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/node-process';

// Helpers for tests of the package as npm ships it: the tarball `npm pack` makes, installed
// into a directory outside the repository (so nothing resolves from the repository's node_modules).

/** The optional peer dependencies: a clean install must have none of them. */
export const OPTIONAL_PEERS = [
  'openai',
  '@azure/core-rest-pipeline',
  '@azure/identity',
  '@azure/openai',
  '@nestjs/common',
  '@nestjs/core',
  'ioredis',
  '@opentelemetry/api',
];

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function npm(args: string[], cwd: string): string {
  try {
    return execFileSync(NPM, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', npm_config_update_notifier: 'false' },
      timeout: 60_000,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`npm ${args.join(' ')} failed:\n${stderr ?? ''}${stdout ?? ''}`, { cause: error });
  }
}

/** A new temporary directory; remove it with `removeTempDir`. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `llm-resilience-${prefix}-`));
}

export function removeTempDir(dir: string | undefined): void {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
}

/** Packs the repository (its built dist/) into `destination` and returns the tarball's path. */
export function packTarball(destination: string): string {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', destination], ROOT)) as {
    filename: string;
  }[];
  return path.join(destination, packed.filename);
}

/**
 * Installs `tarball` into a new project at `dir`, offline: the package's runtime dependencies
 * come from the npm cache. `npm ci` fills the cache with their tarballs but not always with
 * the registry metadata that resolving a range offline needs; when npm cannot install offline,
 * the tarball is unpacked by hand and the dependencies are copied from the repository's
 * node_modules (the closure in package-lock.json of what the packed package.json declares).
 * Returns how it was installed.
 */
export function installTarball(tarball: string, dir: string): 'npm' | 'copied' {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'clean-consumer', private: true }, null, 2));
  try {
    npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', tarball], dir);
    return 'npm';
  } catch (error) {
    if (!/ENOTCACHED|offline/i.test(String(error))) throw error;
  }
  const target = path.join(dir, 'node_modules', 'llm-resilience');
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  const manifest = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8'));
  for (const location of dependencyClosure(Object.keys(manifest.dependencies ?? {}))) {
    fs.cpSync(path.join(ROOT, location), path.join(dir, location), { recursive: true });
  }
  return 'copied';
}

/**
 * The top-level node_modules folders of the repository that hold `names` and what they
 * need, as package-lock.json records them (nested node_modules are copied with their parent).
 */
function dependencyClosure(names: string[]): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const packages: Record<
    string,
    { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
  > = lock.packages;
  const find = (from: string, name: string): string | undefined => {
    // Node's lookup: from/node_modules/name, then each parent's node_modules.
    for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
      const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === '') return undefined;
    }
  };
  const seen = new Set<string>();
  const queue: [from: string, name: string][] = names.map((name) => ['', name]);
  while (queue.length > 0) {
    const [from, name] = queue.shift()!;
    const location = find(from, name);
    if (location === undefined)
      throw new Error(`${name} (needed by ${from || 'llm-resilience'}) is not in package-lock.json`);
    if (seen.has(location)) continue;
    seen.add(location);
    const entry = packages[location];
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
      queue.push([location, dep]);
  }
  // Keep the top-level folders only: "node_modules/a" or "node_modules/@scope/a".
  return [...seen].filter((location) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(location));
}

export interface NodeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <args>` in `cwd`. `nodePath` adds folders to CommonJS resolution (NODE_PATH),
 * which is how a test makes the optional peers "installed" without installing them: the
 * package's CommonJS code is what loads every peer, under `import` too.
 */
export function runNode(cwd: string, args: string[], nodePath?: string[]): NodeRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.NODE_PATH;
  if (nodePath) env.NODE_PATH = nodePath.join(path.delimiter);
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** Like `runNode`, but expects success and parses the last line of stdout as JSON. */
// JSON from a child process (`any` by default): each test says what it expects.
export function runNodeJson<T = any>(cwd: string, args: string[], nodePath?: string[]): T {
  const run = runNode(cwd, args, nodePath);
  if (run.status !== 0)
    throw new Error(`node ${args.join(' ')} exited with ${run.status}:\n${run.stderr}\n${run.stdout}`);
  const lines = run.stdout.split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
