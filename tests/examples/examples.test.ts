import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

// Every folder in examples/ compiled as `npm run examples` compiles it (tsc -p
// tsconfig.examples.json), then its main.js run as a child process against its own fault
// server: exit code 0 (each example checks what it demonstrates and exits 1 otherwise), the
// key lines of its output, and no API key in stdout or stderr.

const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE_DIR = path.join(ROOT, 'examples');
const BUILD_DIR = path.join(ROOT, 'build', 'examples', 'examples');

/** In the children's environment: an example that read them would be using a real key. */
const ENV_KEYS = {
  OPENAI_API_KEY: 'sk-env-sentinel-never-used-0123456789abcdef',
  AZURE_OPENAI_API_KEY: 'azure-env-sentinel-never-used-0123456789',
};
/** The fake keys the examples give their clients: sent to the fault server, never printed. */
const EXAMPLE_KEYS = ['sk-demo-not-a-real-key', 'sk-local-fault-server'];

/** Key lines of each example's stdout (strings are substrings; every one must appear). */
const EXPECTED: Record<string, ReadonlyArray<string | RegExp>> = {
  'plain-typescript': [
    '=== llm-demo.ts (npm run demo) ===',
    /^Fault server at http:\/\/127\.0\.0\.1:\d+\/v1$/m,
    '  => Echo: Summarise our refund policy',
    '  => Echo: What is 2 + 2?',
    '  => Echo: Say hello',
    "  => ❌ I'm currently experiencing technical difficulties. The LLM service quota is exhausted. Please try again in a few moments.",
    '  => Echo: Stream a greeting',
    'Summary',
    '=== network-retry-demo.ts (npm run demo:network) ===',
    /^ {2}=> "Hello from the flaky server!" after \d+ ms$/m,
    '  => HTTP 200',
  ],
  'nestjs-app': [
    /^Nest app on http:\/\/127\.0\.0\.1:\d+, fault server on http:\/\/127\.0\.0\.1:\d+$/m,
    '  200 {"content":"Echo: My order has not arrived.","agent":"support","isError":false',
    /^ {2}\(2 request\(s\) to the LLM, \d+ ms\)$/m,
    '  200 {"title":"Echo: Suggest a title of at most five words."}',
    '"errorCode":"LLM_SERVER","agent":"support","isError":true}',
    '  503 {"message":"The LLM service is unavailable; please try again in a few moments."',
    /^ {2}\(4 request\(s\) to the LLM, \d+ ms\)$/m,
    '  200 {"content":"Echo: Thanks!"',
  ],
  'azure-identity': [
    '  => AzureOpenAI (SDK retries: 0), token provider: yes',
    '  => Echo: Where is my parcel?',
    'POST /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21 -> 429:200 (Bearer the Entra ID token, no api-key header)',
    'POST /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21 -> 503 (Bearer the Entra ID token, no api-key header)',
    'POST /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21 -> ok (Bearer the Entra ID token, no api-key header)',
    'identity endpoint requests so far: 1 (getBearerTokenProvider caches the token)',
    '  => AgentExecutionError: "Authentication with the LLM service failed"',
    'kind auth, 1 attempt(s); originalError OpenAIError, caused by CredentialUnavailableError (classifyError: credential error)',
    '  requests to Azure OpenAI: 0, to the identity endpoint: 1',
  ],
  'custom-classifier': [
    '  => failed: SyntaxError (classifyError: unknown, unrecognised error)  (1 request(s))',
    '  => answered: Echo: #1042  (2 request(s))',
    '  => answered: Echo: Place order #1042  (2 request(s))',
    '  => failed: InternalServerError (classifyError: server, status 504)  (1 request(s))',
    '  => answered: Echo: Place order #1042  (3 request(s))',
  ],
  opentelemetry: [
    'Spans (4):',
    '    llm_resilience.outcome = "successful_with_retry"',
    '    llm_resilience.outcome = "successful_without_retry"',
    '    llm_resilience.outcome = "failed_without_retry"',
    '    error.type = "AuthenticationError"',
    '    llm_resilience.outcome = "failed_with_retry"',
    '    llm_resilience.method = "ResilientLLMService.resilientChatCompletion"',
    '    event llm_resilience.backoff {"attempt":1,',
    'Metrics of the meter "llm-resilience" (4):',
    '  llm_resilience.calls [{call}]',
    '  llm_resilience.retries [{retry}]',
    '  llm_resilience.backoff.duration [ms]',
    '  llm_resilience.circuit.state [{state}]',
  ],
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node <file>` with a clean environment: no real keys, no retry settings from the shell. */
function runNode(file: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...ENV_KEYS, NO_COLOR: '1', NODE_OPTIONS: '' };
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(LLM_|OPENAI_|AZURE_|IDENTITY_|FORCE_COLOR$)/.test(name)) continue;
    if (!(name in env)) env[name] = value;
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const exampleFolders = () =>
  fs
    .readdirSync(SOURCE_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

/** `npm run demo`'s target, run on its own too: the README's first command. */
const DEMO = path.join('plain-typescript', 'llm-demo.js');
const runs = new Map<string, Run>();

beforeAll(async () => {
  // The same compilation as `npm run examples` (type errors fail here as well as in `npm run typecheck`).
  await promisify(execFile)(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.examples.json'], {
    cwd: ROOT,
    timeout: 240_000,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`tsc -p tsconfig.examples.json failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  // Concurrently: each example starts its own servers on free loopback ports.
  const files = [...Object.keys(EXPECTED).map((name) => path.join(name, 'main.js')), DEMO];
  const results = await Promise.all(files.map((file) => runNode(path.join(BUILD_DIR, file))));
  files.forEach((file, index) => runs.set(file, results[index]));
}, 360_000);

it('every folder in examples/ has a main.ts, a README.md and its expectations here', () => {
  const folders = exampleFolders();
  expect(folders).toEqual(Object.keys(EXPECTED).sort());
  for (const folder of folders) {
    expect(fs.existsSync(path.join(SOURCE_DIR, folder, 'main.ts'))).toBe(true);
    expect(fs.existsSync(path.join(SOURCE_DIR, folder, 'README.md'))).toBe(true);
  }
});

it("the package.json scripts that run examples point at compiled files (the README's `npm run demo`)", () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const targets = Object.entries(scripts)
    .filter(([name]) => name === 'examples' || name.startsWith('demo') || name.startsWith('example:'))
    .map(([name, command]) => [name, /node (build\/examples\/\S+\.js)/.exec(command)?.[1]] as const);
  expect(targets.map(([name]) => name)).toEqual(
    expect.arrayContaining([
      'demo',
      'demo:network',
      'examples',
      'example:nest',
      'example:azure',
      'example:custom-classifier',
      'example:opentelemetry',
    ]),
  );
  for (const [name, target] of targets) {
    expect([name, target !== undefined && fs.existsSync(path.join(ROOT, target))]).toEqual([name, true]);
  }
});

describe.each(Object.keys(EXPECTED))('examples/%s', (name) => {
  const run = () => runs.get(path.join(name, 'main.js'))!;

  it('exits 0 and prints what it demonstrates', () => {
    const { code, signal, stdout, stderr } = run();
    expect({ code, signal, unexpected: stderr.split('\n').filter((line) => line.startsWith('Unexpected:')) }).toEqual({
      code: 0,
      signal: null,
      unexpected: [],
    });
    for (const line of EXPECTED[name]) {
      if (typeof line === 'string') expect(stdout).toContain(line);
      else expect(stdout).toMatch(line);
    }
  });

  it('prints no API key (neither its own fake keys nor any from the environment)', () => {
    const { stdout, stderr } = run();
    for (const key of [...Object.values(ENV_KEYS), ...EXAMPLE_KEYS]) {
      expect(stdout).not.toContain(key);
      expect(stderr).not.toContain(key);
    }
  });
});

it('npm run demo (plain-typescript/llm-demo.js on its own) exits 0 with its summary', () => {
  const { code, stdout, stderr } = runs.get(DEMO)!;
  expect({
    code,
    stderr: stderr.split('\n').filter((line) => line.startsWith('Unexpected:') || line.startsWith('demo failed')),
  }).toEqual({
    code: 0,
    stderr: [],
  });
  expect(stdout).toMatch(/^Fault server at http:\/\/127\.0\.0\.1:\d+\/v1\n/);
  expect(stdout).toContain('Summary');
  expect(stdout).not.toContain('network-retry-demo');
});
