// Renders docs/defaults.md, docs/events.md and docs/classification.md from the code.
//   npm run docs:tables            writes them
//   npm run docs:tables -- --check fails (exit 1) when a committed file differs
// tests/docs/docs-tables.test.ts renders them in memory and compares, in `npm test`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderClassification } from './docs/classification-table';
import { renderDefaults } from './docs/defaults-table';
import { renderEvents } from './docs/events-table';

export interface DocsTables {
  /** File contents by path relative to the repository root. */
  files: Record<string, string>;
  /** Each event's attributes as recorded (`?` = not always sent), for the README check. */
  eventAttributes: Map<string, string[]>;
}

export async function renderDocsTables(): Promise<DocsTables> {
  const events = await renderEvents();
  return {
    files: {
      'docs/defaults.md': renderDefaults(),
      'docs/events.md': events.markdown,
      'docs/classification.md': renderClassification(),
    },
    eventAttributes: events.attributes,
  };
}

/** The repository root: the nearest folder above this file with a package.json (source or build/). */
export function repositoryRoot(from: string = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(path.dirname(dir)) === 'build') {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The generated files that differ from what is on disk. */
export function staleFiles(root: string, files: Record<string, string>): string[] {
  return Object.entries(files)
    .filter(([file, text]) => {
      const target = path.join(root, file);
      return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text;
    })
    .map(([file]) => file);
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  const { files } = await renderDocsTables();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(root, files);
    if (stale.length > 0) {
      console.error(`${stale.join(', ')} differ from the code: run npm run docs:tables`);
      process.exitCode = 1;
    }
    return;
  }
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
    console.log(`wrote ${file}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
