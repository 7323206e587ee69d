// The `@default` tags written in TSDoc (what editors and the TypeDoc reference show) checked
// against the constants the code uses, so that a changed default cannot leave a stale tag.

import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { RETRY_DEFAULTS } from '../../src/config/defaults';
import { DEFAULT_BULKHEAD_QUEUE_LIMIT } from '../../src/strategies/bulkhead/bulkhead-options';

/** The `@default` tag of every property of the named interfaces and classes in `file`. */
export function defaultTags(file: string, owners: readonly string[]): Map<string, string> {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const tags = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if (
      (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) &&
      node.name &&
      owners.includes(node.name.text)
    ) {
      for (const member of node.members) {
        if (!(ts.isPropertySignature(member) || ts.isPropertyDeclaration(member)) || !ts.isIdentifier(member.name))
          continue;
        const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
        const text = typeof tag?.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag?.comment);
        if (text !== undefined) tags.set(`${node.name.text}.${member.name.text}`, text.trim());
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return tags;
}

/** What a tag must start with for a value: `3`, `'full'`, `true`, `undefined`. */
function expectedTag(value: unknown): string {
  if (value === undefined) return 'undefined';
  return typeof value === 'string' ? `'${value}'` : String(value);
}

export function checkTsdocDefaults(root: string): string[] {
  const problems: string[] = [];
  const config = defaultTags(path.join(root, 'src/config/retry-config.ts'), ['RetryConfigFields', 'RetryConfig']);
  for (const owner of ['RetryConfigFields', 'RetryConfig']) {
    for (const [field, value] of Object.entries(RETRY_DEFAULTS)) {
      const tag = config.get(`${owner}.${field}`);
      const expected = expectedTag(value);
      if (tag === undefined) problems.push(`${owner}.${field} has no @default tag (expected ${expected})`);
      else if (tag !== expected && !tag.startsWith(`${expected} `)) {
        problems.push(`${owner}.${field}: @default ${tag}, but RETRY_DEFAULTS.${field} is ${expected}`);
      }
    }
  }
  const bulkhead = defaultTags(path.join(root, 'src/config/defaults.ts'), ['BulkheadSettings']).get(
    'BulkheadSettings.queueLimit',
  );
  if (bulkhead !== String(DEFAULT_BULKHEAD_QUEUE_LIMIT)) {
    problems.push(
      `BulkheadSettings.queueLimit: @default ${bulkhead ?? '(missing)'}, but DEFAULT_BULKHEAD_QUEUE_LIMIT is ${DEFAULT_BULKHEAD_QUEUE_LIMIT}`,
    );
  }
  return problems;
}
