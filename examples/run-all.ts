/**
 * `npm run examples`: runs the `main.ts` of every folder in examples/ (compiled by
 * `tsc -p tsconfig.examples.json`), one after the other, each in its own process, and prints
 * a summary. `npm run examples -- azure-identity opentelemetry` runs only those.
 * Exits non-zero when an example is missing its compiled `main.js` or exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** build/examples/examples/ (this file's compiled folder) -> the repository's examples/. */
const SOURCE_DIR = path.resolve(__dirname, '..', '..', '..', 'examples');
const PER_EXAMPLE_TIMEOUT_MS = 120_000;

function exampleNames(): string[] {
  return fs
    .readdirSync(SOURCE_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(SOURCE_DIR, entry.name, 'main.ts')))
    .map((entry) => entry.name)
    .sort();
}

function main(): number {
  const all = exampleNames();
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !all.includes(name));
  if (unknown.length > 0) {
    console.error(`No such example: ${unknown.join(', ')} (examples: ${all.join(', ')})`);
    return 2;
  }
  const names = asked.length > 0 ? asked : all;
  const rows: Array<{ example: string; exit: string; seconds: string }> = [];
  for (const name of names) {
    const entry = path.join(__dirname, name, 'main.js');
    console.log(`\n===== examples/${name} =====\n`);
    if (!fs.existsSync(entry)) {
      console.error(`${entry} does not exist: compile with tsc -p tsconfig.examples.json first`);
      rows.push({ example: name, exit: 'not compiled', seconds: '-' });
      continue;
    }
    const started = Date.now();
    const result = spawnSync(process.execPath, [entry], { stdio: 'inherit', timeout: PER_EXAMPLE_TIMEOUT_MS });
    const exit = result.error
      ? `error (${result.error.message})`
      : result.signal
        ? `killed (${result.signal})`
        : String(result.status);
    rows.push({ example: name, exit, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  }
  console.log('\n===== summary =====');
  console.table(rows);
  return rows.every((row) => row.exit === '0') ? 0 : 1;
}

process.exitCode = main();
