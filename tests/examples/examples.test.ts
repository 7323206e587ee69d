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
const EXAMPLE_KEYS = ['sk-demo', 'sk-demo-not-a-real-key', 'sk-local-fault-server'];

/** Key lines of each example's stdout (strings are substrings; every one must appear). */
const EXPECTED: Record<string, ReadonlyArray<string | RegExp>> = {
  'plain-typescript': [
    '=== llm-demo.ts (npm run demo) ===',
    /^Fault server at http:\/\/127\.0\.0\.1:\d+\/v1$/m,
    '=== Part 1: the decorator ===',
    '=> recovered: Echo: What is our refund window?',
    '=> threw AuthenticationError: HTTP 401',
    '=== Part 2: the service layer ===',
    '=> recovered: Echo: Summarise our refund policy',
    '=> recovered: Echo: What is 2 + 2?',
    '=> recovered: Echo: Say hello',
    "=> failed (handled): ❌ I'm currently experiencing technical difficulties. The LLM service quota is exhausted. Please try again in a few moments.",
    '=> recovered: Echo: Stream a greeting',
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

describe('npm run demo (plain-typescript/llm-demo.js on its own)', () => {
  const run = () => runs.get(DEMO)!;
  const stdout = () => run().stdout;
  /** The lines of one scenario ("1a ...") up to the blank line that ends it. */
  const scenario = (id: string) => {
    const lines = stdout().split('\n');
    const start = lines.findIndex((line) => line.startsWith(`${id} `));
    if (start < 0) throw new Error(`no scenario ${id} in the demo's output`);
    const end = lines.indexOf('', start);
    return lines.slice(start, end < 0 ? undefined : end).join('\n');
  };

  it('exits 0, with nothing unexpected on stderr, under 30 s', () => {
    const { code, signal, stderr, ms } = run();
    expect({ code, signal, stderr: stderr.split('\n').filter((line) => line && !line.startsWith('(node:')) }).toEqual({
      code: 0,
      signal: null,
      stderr: [],
    });
    // About 6 s alone; the examples run beside it here.
    expect(ms).toBeLessThan(30_000);
    expect(stdout()).toMatch(/^Fault server at http:\/\/127\.0\.0\.1:\d+\/v1\n/);
    expect(stdout()).not.toContain('network-retry-demo');
  });

  it('shows the decorator first, then the service layer, then the summary of all twelve scenarios', () => {
    const out = stdout();
    const part1 = out.indexOf('=== Part 1: the decorator ===');
    const part2 = out.indexOf('=== Part 2: the service layer ===');
    const summary = out.indexOf('\nSummary\n');
    expect(part1).toBeGreaterThan(0);
    expect(part2).toBeGreaterThan(part1);
    expect(summary).toBeGreaterThan(part2);
    expect(out.slice(part1, part2)).toContain('Quick Start class (examples/plain-typescript/chat-agent.ts)');
    for (const id of ['1a', '1b', '1c', '1d', '1e', '1f', '1g', '1h', '1i', '2a', '2b', '2c', '2d', '2e']) {
      expect(out.slice(summary)).toContain(`'${id} `);
    }
  });

  it('1a: a 429 with Retry-After 1.5 s recovers, and the wait line says Retry-After set it (no backoff formula)', () => {
    const lines = scenario('1a');
    expect(lines).toMatch(/^ +wait 1\.\d\d s \(set by the server: Retry-After 1\.50 s \+ up to 10% spread\)$/m);
    expect(lines).toMatch(
      /^ +warn \[llm-resilience\] Retrying ChatAgent\.complete in 1\.\d\ds \(attempt 1\/4 failed: rate_limit 429, request req_\d+\)$/m,
    );
    expect(lines).not.toMatch(/^ +wait .*(backoff|\*\*)/m);
    expect(lines).toContain('=> recovered: Echo: What is our refund window?');
    expect(lines).toMatch(/\(2 request\(s\), waited 1\.\d\d s, took \d+\.\d\d s\)/);
  });

  it('1b: 503, 503, ok recovers after two backoff waits', () => {
    const lines = scenario('1b');
    expect(
      lines.match(/^ +wait \d\.\d\d s \(backoff, full jitter: random up to 0\.25 \* \(2 \*\* [01]\) s\)$/gm),
    ).toHaveLength(2);
    expect(lines).not.toContain('Retry-After');
    expect(lines).toContain('=> recovered: Echo: Name three primary colours');
    expect(lines).toContain('(3 request(s)');
  });

  it('1c: a 401 is not retried: one request, no wait, a warning with the reason', () => {
    const lines = scenario('1c');
    expect(lines).toMatch(
      /^ +warn \[llm-resilience\] ChatAgent\.complete failed at attempt 1\/4 and is not retried: status 401 \(auth 401/m,
    );
    expect(lines).not.toMatch(/^ +wait /m);
    expect(lines).toContain('=> threw AuthenticationError: HTTP 401');
    expect(lines).toContain('(1 request(s), waited 0.00 s');
  });

  it('1d: a Retry-After of an hour, beyond maxRetryAfterMs, fails fast: one request, no wait', () => {
    const lines = scenario('1d');
    expect(lines).toContain('not retried: retry_after_exceeds_max (rate_limit)');
    expect(lines).toMatch(/^ +warn \[llm-resilience\] .* is not retried: retry_after_exceeds_max/m);
    expect(lines).not.toMatch(/^ +wait /m);
    expect(lines).toContain('=> threw RateLimitError: HTTP 429');
    expect(lines).toMatch(/\(1 request\(s\), waited 0\.00 s, took 0\.\d\d s\)/);
  });

  it('1e: a stream cut after its first chunk: the chunk reached the caller, not retried', () => {
    const lines = scenario('1e');
    expect(lines).toContain('the caller got chunk 1: "Echo:"');
    expect(lines).toContain('not retried: stream_started');
    expect(lines).not.toMatch(/^ +wait /m);
    expect(lines).toContain(
      '=> threw StreamInterruptedError: The stream of ChatAgent.stream broke after 1 item (network)',
    );
    expect(lines).toContain('(1 request(s), 1 chunk(s) before that');
    expect(lines.indexOf('the caller got chunk 1')).toBeLessThan(lines.indexOf('failed: StreamInterruptedError'));
  });

  it('1h and 1i: a Responses stream failing before its first token is retried; one cut after it is resumed', () => {
    const failed = scenario('1h');
    expect(failed).toContain('attempt 1/4: failed: StreamEventError (server)');
    expect(failed).toContain('the caller saw response.created 1 time(s)');
    expect(failed).toContain('=> recovered: Echo: Stream a haiku');
    const resumed = scenario('1i');
    expect(resumed).toMatch(/the caller got events 0\.\.\d+, each once$/m);
    expect(resumed).toContain('=> recovered: Echo: Stream a haiku');
    expect(resumed).toContain('(2 request(s)');
  });

  it('1f and 1g: a hanging attempt is abandoned and retried; the total timeout ends the call at its deadline', () => {
    const hang = scenario('1f');
    expect(hang).toContain('attempt 1/4: failed: AttemptTimeoutError (timeout)');
    expect(hang).toContain('=> recovered: Echo: Are you there?');
    expect(hang).toContain('(2 request(s)');
    const deadline = scenario('1g');
    expect(deadline).toContain(
      '=> threw RetryTimeoutError: ChatAgent.complete did not complete within its total timeout of 1500 ms',
    );
    expect(deadline).toContain('(1 request(s)');
  });

  it('part 2: the service layer scenarios, each ending as before', () => {
    expect(scenario('2a')).toMatch(/set by the server: Retry-After 0\.20 s/);
    expect(scenario('2a')).toContain('=> recovered: Echo: Summarise our refund policy');
    expect(scenario('2b')).toContain('=> recovered: Echo: What is 2 + 2?');
    expect(scenario('2c')).toContain('=> recovered: Echo: Say hello');
    expect(scenario('2d')).toContain('=> failed (handled): ❌');
    expect(scenario('2e')).toContain('=> recovered: Echo: Stream a greeting');
  });

  it('prints no API key', () => {
    const { stdout: out, stderr } = run();
    for (const key of [...Object.values(ENV_KEYS), ...EXAMPLE_KEYS]) {
      expect(out).not.toContain(key);
      expect(stderr).not.toContain(key);
    }
  });
});
