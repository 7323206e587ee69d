// Prints the scores of the groups' last reports (reports/mutation/<group>/mutation.json) as
// Markdown, per group and per file, and lists every surviving mutant (for docs/mutation.md).
// Usage: node stryker/summary.mjs [group...] [--survivors]
import { existsSync, readFileSync } from 'node:fs';
import { count } from './counts.mjs';
import { GROUPS } from './groups.mjs';

const args = process.argv.slice(2);
const showSurvivors = args.includes('--survivors');
const names = args.filter((arg) => !arg.startsWith('--'));
const groups = names.length > 0 ? names : Object.keys(GROUPS);

const row = (name, c) =>
  `| ${name} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} | ${c.total} | ${c.score}% |`;
const header = ['| | killed | timed out | survived | no coverage | total | score |', '|---|---|---|---|---|---|---|'];

const groupRows = [];
const fileRows = [];
const survivors = [];
for (const group of groups) {
  const file = `reports/mutation/${group}/mutation.json`;
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const all = [];
  for (const [path, { mutants, source }] of Object.entries(report.files)) {
    all.push(...mutants);
    fileRows.push(row(`\`${path}\``, count(mutants)));
    const lines = source.split('\n');
    for (const mutant of mutants) {
      if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
      const { line } = mutant.location.start;
      survivors.push(
        `- ${path}:${line} ${mutant.status} ${mutant.mutatorName}: \`${lines[line - 1].trim()}\` -> \`${String(mutant.replacement ?? '').replace(/\s+/g, ' ')}\``,
      );
    }
  }
  groupRows.push(row(group, count(all)));
}

console.log([...header, ...groupRows].join('\n'));
console.log();
console.log([...header, ...fileRows].join('\n'));
if (showSurvivors) console.log(`\n${survivors.join('\n')}`);
