import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The repository root: `llm-resilience` resolves to this package from there. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** Runs `node <args>` in the repository root and returns its stdout, trimmed. */
export function node(args: string[]): string {
  try {
    return execFileSync(process.execPath, args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 20_000,
    }).trim();
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`node ${args.join(' ')} failed:\n${stderr ?? ''}${stdout ?? ''}`, { cause: error });
  }
}
