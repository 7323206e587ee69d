import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderDocsTables, repositoryRoot, staleFiles, type DocsTables } from '../../scripts/docs-tables';
import { checkReadmeDefaults, checkReadmeEvents } from '../../scripts/docs/readme-check';
import { checkTsdocDefaults } from '../../scripts/docs/tsdoc-defaults-check';

// docs/defaults.md, docs/events.md and docs/classification.md are generated from the code
// (scripts/docs-tables.ts); the README's own defaults and events tables are checked against it.

const root = repositoryRoot(path.join(__dirname, '..', '..', 'scripts'));
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
let tables: DocsTables;

beforeAll(async () => {
  tables = await renderDocsTables();
}, 30_000);

test('the committed docs/ tables match the code', () => {
  const stale = staleFiles(root, tables.files);
  if (stale.length > 0) {
    throw new Error(
      `${stale.join(', ')} differ from what the code generates: run npm run docs:tables and commit the result`,
    );
  }
});

test('rendering twice gives the same text (no clock, randomness or ordering leaks into docs/)', async () => {
  const again = await renderDocsTables();
  expect(again.files).toEqual(tables.files);
});

test("the README's defaults table matches the code", () => {
  const problems = checkReadmeDefaults(readme);
  if (problems.length > 0)
    throw new Error(`README.md disagrees with the code (see docs/defaults.md):\n- ${problems.join('\n- ')}`);
});

test("the README's trace-event table matches the events the code sends", () => {
  const problems = checkReadmeEvents(readme, tables.eventAttributes);
  if (problems.length > 0)
    throw new Error(`README.md disagrees with the code (see docs/events.md):\n- ${problems.join('\n- ')}`);
});

test('the generated files say how to regenerate them', () => {
  for (const text of Object.values(tables.files)) expect(text).toContain('npm run docs:tables');
});

test('the @default tags of RetryConfig and RetryConfigFields match RETRY_DEFAULTS', () => {
  const problems = checkTsdocDefaults(root);
  if (problems.length > 0) throw new Error(`TSDoc @default tags disagree with the code:\n- ${problems.join('\n- ')}`);
});
