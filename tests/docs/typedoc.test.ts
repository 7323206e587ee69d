import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// `npm run docs` must stay clean: typedoc.json treats warnings as errors (a public signature
// naming a type the entry points do not export, a broken {@link}, a stale option), so the
// same conversion runs here, without writing docs/api/.

const ROOT = path.resolve(__dirname, '..', '..');

test('TypeDoc converts the four entry points without a warning', async () => {
  const typedoc = path.join(path.dirname(require.resolve('typedoc/package.json')), 'bin', 'typedoc');
  try {
    await promisify(execFile)(process.execPath, [typedoc, '--emit', 'none', '--logLevel', 'Warn'], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0' },
      timeout: 170_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `npm run docs would fail (typedoc.json treats warnings as errors):\n${stdout ?? ''}${stderr ?? ''}`,
      { cause: error },
    );
  }
}, 180_000);
