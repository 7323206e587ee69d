// Issue #12 item 14: importing the library never throws, whatever the environment; a bad
// LLM_RETRY_* value fails the user's first decorated class (or call) with an error naming
// the variable, the rule and that it came from the environment; a variable or log level the
// library would silently ignore gets one warning naming the nearest valid one.
// Each case runs the built package (dist) in a child process with its own environment.
import { execFileSync, spawnSync } from 'node:child_process';
import { ROOT } from '../support/node-process';

function cleanEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LLM_')));
}

function run(script: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...cleanEnv(), ...env, NODE_OPTIONS: '' },
    timeout: 20_000,
  }).trim();
}

const IMPORT = `
let lib;
try { lib = require('llm-resilience'); console.log('imported'); } catch (e) { console.log('import threw: ' + e.message); process.exit(0); }
`;

describe('a bad LLM_RETRY_* value', () => {
  it.each([
    ['LLM_RETRY_MAX_ATTEMPTS', 'abc', 'LLM_RETRY_MAX_ATTEMPTS must be an integer (received "abc")'],
    ['LLM_RETRY_MAX_ATTEMPTS', '11', 'LLM_RETRY_MAX_ATTEMPTS must not be greater than 10 (received 11)'],
    [
      'LLM_RETRY_JITTER',
      'random',
      'LLM_RETRY_JITTER must be one of full, equal, decorrelated, none (received "random")',
    ],
  ])(
    '%s=%s: the import works; the first decorated class of the user fails, naming the variable',
    (name, value, rule) => {
      const out = run(
        `${IMPORT}
      try {
        const decorate = lib.RetryOpenAI();
        class ChatAgent { async complete() { return 'ok'; } }
        const descriptor = Object.getOwnPropertyDescriptor(ChatAgent.prototype, 'complete');
        decorate(ChatAgent.prototype, 'complete', descriptor);
        console.log('defined');
      } catch (e) { console.log('definition threw: ' + e.message); }`,
        { [name]: value },
      );
      expect(out.split('\n')).toEqual([
        'imported',
        `definition threw: @RetryOpenAI on ChatAgent.complete: ${rule} (from the environment)`,
      ]);
    },
  );

  it("fails a call of the library's own services at the call, not at the import", () => {
    const out = run(
      `${IMPORT}
      const executor = new lib.LLMExecutor();
      const config = new lib.AgentConfig({ provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' });
      executor.executeText(config, [{ role: 'user', content: 'hi' }]).then(
        () => console.log('resolved'),
        (e) => console.log('call rejected: ' + e.message),
      );`,
      { LLM_RETRY_MAX_ATTEMPTS: 'abc' },
    );
    const [imported, rejected] = out.split('\n');
    expect(imported).toBe('imported');
    expect(rejected).toMatch(
      /^call rejected: .*LLM_RETRY_MAX_ATTEMPTS must be an integer \(received "abc"\) \(from the environment\)$/,
    );
  });
});

describe('what the environment holds but the library would ignore', () => {
  const warnings = (env: Record<string, string>) =>
    run(
      `${IMPORT}
      const lines = [];
      lib.configureResilience({ logger: { error() {}, warn: (m) => lines.push(m), info() {}, debug() {} } });
      const decorate = lib.RetryOpenAI();
      class ChatAgent { async complete() { return 'ok'; } }
      decorate(ChatAgent.prototype, 'complete', Object.getOwnPropertyDescriptor(ChatAgent.prototype, 'complete'));
      new ChatAgent().complete().then(() => new ChatAgent().complete()).then(() => console.log(JSON.stringify(lines)));`,
      env,
    )
      .split('\n')
      .slice(1)
      .map((line) => JSON.parse(line) as string[])[0];

  it('a misspelt LLM_RETRY_* variable: one warning naming the nearest variable', () => {
    expect(warnings({ LLM_RETRY_MAX_ATTEMPT: '5' })).toEqual([
      "llm-resilience: the environment variable LLM_RETRY_MAX_ATTEMPT is not one of the library's and is ignored (did you mean LLM_RETRY_MAX_ATTEMPTS?)",
    ]);
  });

  it('an LLM_RESILIENCE_LOG_LEVEL that is not a level: one warning naming the nearest level', () => {
    expect(warnings({ LLM_RESILIENCE_LOG_LEVEL: 'warning' })).toEqual([
      'llm-resilience: LLM_RESILIENCE_LOG_LEVEL="warning" is not a log level and is ignored (the default warn is used); did you mean warn?',
    ]);
  });

  it("is said also by a process that only calls the library's services (the default logger, on stderr)", () => {
    const result = spawnSync(
      process.execPath,
      [
        '-e',
        `const lib = require('llm-resilience');
        const config = new lib.AgentConfig({ provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', retryConfig: { maxAttempts: 1 } });
        new lib.LLMExecutor().executeText(config, [{ role: 'user', content: 'hi' }]).catch(() => console.log('done'));`,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...cleanEnv(), LLM_RETRY_MAX_ATEMPTS: '4', NODE_OPTIONS: '' },
        timeout: 20_000,
      },
    );
    expect(result.stdout.trim()).toBe('done');
    expect(result.stderr).toContain('LLM_RETRY_MAX_ATEMPTS is not one of the library');
    expect(result.stderr).toContain('did you mean LLM_RETRY_MAX_ATTEMPTS?');
  });

  it('nothing is said about a clean environment', () => {
    expect(warnings({ LLM_RETRY_MAX_ATTEMPTS: '4', LLM_RESILIENCE_LOG_LEVEL: 'debug' })).toEqual([]);
  });
});
