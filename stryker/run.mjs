// npm run test:mutation [-- group...]: runs Stryker over each group in turn (all by default),
// then prints the score of every group run. Options through the environment:
// MUTATION_CONCURRENCY (default 1), MUTATION_INCREMENTAL=1 (reuse reports/mutation/<group>/stryker-incremental.json),
// MUTATION_IGNORE_TESTS=a,b (leave out test files whose path matches).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { count } from './counts.mjs';
import { GROUPS } from './groups.mjs';

const args = process.argv.slice(2);
const unknown = args.filter((name) => !(name in GROUPS));
if (unknown.length > 0) {
  console.error(`Unknown group(s): ${unknown.join(', ')}. Groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const groups = args.length > 0 ? args : Object.keys(GROUPS);
const stryker = resolve('node_modules/@stryker-mutator/core/bin/stryker.js');

let failed = false;
const scores = [];
for (const group of groups) {
  console.log(`\n=== mutation group '${group}': ${GROUPS[group].description}`);
  const run = spawnSync(process.execPath, [stryker, 'run', 'stryker/stryker.conf.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: group },
  });
  if (run.status !== 0) failed = true;
  scores.push({ group, ...summarise(`reports/mutation/${group}/mutation.json`) });
}

console.log('\ngroup              killed  survived  no cov  timeout  total  score');
for (const s of scores) {
  if (s.total === undefined) {
    console.log(`${s.group.padEnd(18)} (no report)`);
    continue;
  }
  console.log(
    `${s.group.padEnd(18)} ${String(s.killed).padStart(6)} ${String(s.survived).padStart(9)} ` +
      `${String(s.noCoverage).padStart(7)} ${String(s.timeout).padStart(8)} ${String(s.total).padStart(6)}  ${s.score}%`,
  );
}
process.exit(failed ? 1 : 0);

/** Counts a group's Stryker JSON report; an empty object when the run wrote none. */
function summarise(file) {
  if (!existsSync(file)) return {};
  const report = JSON.parse(readFileSync(file, 'utf8'));
  return count(Object.values(report.files).flatMap(({ mutants }) => mutants));
}
