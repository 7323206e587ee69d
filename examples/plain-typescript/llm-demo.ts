/**
 * `npm run demo`: llm-resilience against a local fault server (llm-resilience/testing) with the
 * real `openai` SDK, in two parts:
 *
 *   1. The decorator: the README's Quick Start class (`ChatAgent`, `@RetryOpenAI`), through a
 *      429 with Retry-After, 503s, a 401, a Retry-After beyond the cap, a stream cut after its
 *      first chunk, a hanging attempt and a total timeout; then Responses API streams: one that
 *      fails before its first token (retried), one cut after it (resumed).
 *   2. The service layer: an agent built from the LLM services (`AgentConfig`,
 *      `ResilientLLMService`, `AgentOrchestrator`, `LLMExecutor`).
 *
 *   npm run demo                              # against the local fault server
 *   OPENAI_API_KEY=... npm run demo -- --live # part 2 against the real API
 *
 * Prints each call's attempts, waits and outcome, the library's log lines and a summary table.
 * Against the fault server, exits non-zero when a scenario did not end as it says (outcome,
 * requests received by the server, and where given how its waits were set and how long it took).
 */
// In an app: 'llm-resilience'.
import {
  AgentConfig,
  AgentOrchestrator,
  configureResilience,
  getUpstreamState,
  LLMExecutor,
  LLMProvider,
  resetUpstream,
  upstreamKeyOf,
  ResilientLLMService,
  RetryConfig,
} from '../../src';
// In an app: 'llm-resilience/testing'.
import { startFaultServer } from '../../src/testing';
import { ChatAgent } from './chat-agent';
import { ResponsesAgent } from './responses-agent';
import { Narrator, printSummary, Row, runScenarios, Scenario } from './demo-harness';

// ---------------------------------------------------------------------------------------------
// Part 1: the decorator

/** The Quick Start's config, with a shorter first backoff (250 ms instead of 1 s) to keep the demo quick. */
const quickStartConfig = (fields: ConstructorParameters<typeof RetryConfig>[0] = {}) =>
  new RetryConfig({ maxAttempts: 4, totalTimeoutMs: 60_000, baseDelayMs: 250, ...fields });

const decoratorScenarios: Array<Scenario<string>> = [
  {
    title: '429 with Retry-After 1.5 s, then ok',
    shows: 'A rate limit that says how long to wait: the retry waits what the server asked, not the backoff.',
    faults: ['429:1500', 'ok'],
    expected: { outcome: 'ok', requests: 2, waits: ['retry-after'] },
    run: (baseURL) => new ChatAgent(baseURL, quickStartConfig()).complete('What is our refund window?'),
  },
  {
    title: '503, 503, then ok',
    shows: 'Server errors are retried after an exponential backoff with jitter.',
    faults: ['503', '503', 'ok'],
    expected: { outcome: 'ok', requests: 3, waits: ['backoff', 'backoff'] },
    run: (baseURL) => new ChatAgent(baseURL, quickStartConfig()).complete('Name three primary colours'),
  },
  {
    title: '401: not retried',
    shows: 'A refused key will not work on a second try: one request, and a warning for whoever runs the app.',
    faults: ['401', 'ok'],
    expected: { outcome: 'threw AuthenticationError', requests: 1, waits: [] },
    run: (baseURL) => new ChatAgent(baseURL, quickStartConfig()).complete('Say hello'),
  },
  {
    title: '429 with Retry-After 3600 s: fails fast',
    shows:
      'A server asking for longer than maxRetryAfterMs (60 s by default) is not waited for: the call fails at once.',
    faults: ['429:3600000', 'ok'],
    expected: { outcome: 'threw RateLimitError', requests: 1, waits: [], tookMs: [0, 10_000] },
    run: async (baseURL, { say }) => {
      const agent = new ChatAgent(baseURL, quickStartConfig());
      try {
        return await agent.complete('Tell me a joke');
      } finally {
        // The key of the agent's method: ChatAgent.complete plus its client (base URL, key hash).
        const key = upstreamKeyOf(agent, 'complete')!;
        const until = getUpstreamState(key)?.cooldownUntilMs;
        if (until !== undefined) {
          say(
            `the key ${key} now cools down for ${Math.round((until - Date.now()) / 60_000)} min: ` +
              'its calls fail fast without a request (the demo forgets it with resetUpstream)',
          );
        }
      }
    },
  },
  {
    title: 'stream cut after its first chunk: not retried',
    shows:
      'Once a chunk has reached the caller a retry would repeat it: the caller gets a StreamInterruptedError (the cut is its cause).',
    faults: ['stream-cut:1', 'ok'],
    expected: { outcome: 'threw StreamInterruptedError', requests: 1, waits: [] },
    run: async (baseURL, { received, say }) => {
      for await (const chunk of new ChatAgent(baseURL, quickStartConfig()).stream('Stream a haiku')) {
        received.push(chunk);
        say(`the caller got chunk ${received.length}: "${chunk}"`);
      }
      return received.join('');
    },
  },
  {
    title: 'an attempt hangs: abandoned after 1 s, retried',
    shows: 'attemptTimeoutMs aborts a stuck request (through getRetryContext().signal) and tries again.',
    faults: ['hang', 'ok'],
    expected: { outcome: 'ok', requests: 2, waits: ['backoff'], tookMs: [900, 10_000] },
    run: (baseURL) => new ChatAgent(baseURL, quickStartConfig({ attemptTimeoutMs: 1000 })).complete('Are you there?'),
  },
  {
    title: 'total timeout 1.5 s: the call ends at its deadline',
    shows: 'totalTimeoutMs bounds the whole call, waits included: the caller gets a RetryTimeoutError on time.',
    faults: ['slow:10000'],
    expected: { outcome: 'threw RetryTimeoutError', requests: 1, waits: [], tookMs: [1400, 10_000] },
    run: (baseURL) => new ChatAgent(baseURL, quickStartConfig({ totalTimeoutMs: 1500 })).complete('Write a long essay'),
  },
  {
    title: 'Responses stream fails before its first token: retried',
    shows:
      'A response.failed (server_error) before any token: the attempt is retried, and the caller sees one stream (one response.created).',
    faults: ['response-failed:0', 'ok'],
    expected: { outcome: 'ok', requests: 2, waits: ['backoff'] },
    run: async (baseURL, { received, say }) => {
      let created = 0;
      for await (const event of new ResponsesAgent(baseURL, quickStartConfig()).events('Stream a haiku')) {
        if (event.type === 'response.created') created++;
        if (event.type === 'response.output_text.delta') received.push(event.delta);
      }
      say(`the caller saw response.created ${created} time(s) and ${received.length} token(s)`);
      return received.join('');
    },
  },
  {
    title: 'Responses stream cut after its first tokens: resumed',
    shows:
      'A background response whose stream is cut after 2 tokens re-attaches (retrieve, starting_after): no token twice, none missing.',
    faults: ['stream-cut:2', 'ok'],
    expected: { outcome: 'ok', requests: 2, waits: ['backoff'] },
    run: async (baseURL, { received, say }) => {
      const sequence: number[] = [];
      for await (const event of new ResponsesAgent(baseURL, quickStartConfig()).background('Stream a haiku')) {
        sequence.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') received.push(event.delta);
      }
      const inOrder = sequence.every((number, index) => number === index);
      say(`the caller got events 0..${sequence.length - 1}, each once${inOrder ? '' : ' (NOT in order)'}`);
      return received.join('');
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Part 2: the service layer

/** The example agent: one config, the services. */
interface Agent {
  config: AgentConfig;
  orchestrator: AgentOrchestrator;
  executor: LLMExecutor;
}

const question = (text: string) => [{ role: 'user' as const, content: text }];

const serviceScenarios: Array<Scenario<Agent>> = [
  {
    title: 'rate limited twice (Retry-After), then answered',
    shows: 'AgentOrchestrator.respond through ResilientLLMService: two 429s, each retried after its Retry-After.',
    faults: ['429', '429', 'ok'],
    expected: { outcome: 'ok', requests: 3, waits: ['retry-after', 'retry-after'] },
    run: async (agent) =>
      (await agent.orchestrator.respond(agent.config, question('Summarise our refund policy'))).content,
  },
  {
    title: 'a 503, then answered',
    shows: 'The same, for a server error.',
    faults: ['503', 'ok'],
    expected: { outcome: 'ok', requests: 2 },
    run: async (agent) => (await agent.orchestrator.respond(agent.config, question('What is 2 + 2?'))).content,
  },
  {
    title: 'connection reset, then answered',
    shows: 'LLMExecutor.executeText: a dropped connection is retried.',
    faults: ['reset', 'ok'],
    expected: { outcome: 'ok', requests: 2 },
    run: async (agent) => agent.executor.executeText(agent.config, question('Say hello')),
  },
  {
    title: 'quota exhausted: fails fast, user sees a safe message',
    shows: 'A 429 insufficient_quota is not retried; the orchestrator answers with a message safe to show.',
    faults: ['429-quota'],
    expected: { outcome: 'failed (handled)', requests: 1 },
    run: async (agent) => (await agent.orchestrator.respond(agent.config, question('Tell me a joke'))).content,
  },
  {
    title: 'stream breaks before its first chunk, then streams',
    shows: 'LLMExecutor.executeStream: nothing reached the caller yet, so the stream is retried.',
    faults: ['stream-cut:0', 'ok'],
    expected: { outcome: 'ok', requests: 2 },
    run: async (agent) => {
      let text = '';
      for await (const delta of agent.executor.executeStream(agent.config, question('Stream a greeting')))
        text += delta;
      return text;
    },
  },
];

/**
 * Runs both parts and prints the summary. Against the fault server, answers whether each
 * scenario ended as described (each mismatch is reported on stderr); live (part 2 only),
 * always true.
 */
export async function runLlmDemo({ live = false }: { live?: boolean } = {}): Promise<boolean> {
  const server = live ? undefined : await startFaultServer();
  const narrator = new Narrator();
  configureResilience({ tracer: narrator, logger: narrator.logger });
  const rows: Row[] = [];
  try {
    console.log(live ? 'Live run against the OpenAI API\n' : `Fault server at ${server!.openaiBaseURL}\n`);
    console.log(
      "Lines with '[llm-resilience]' are the library's own log lines (in an app: winston, one line each on stderr).\n",
    );

    if (server) {
      console.log('=== Part 1: the decorator ===');
      console.log(
        "The README's Quick Start class (examples/plain-typescript/chat-agent.ts): @RetryOpenAI on its methods,\n" +
          'the openai SDK inside with maxRetries: 0.\n',
      );
      rows.push(
        ...(await runScenarios(1, decoratorScenarios, server.openaiBaseURL, narrator, server, () => {
          // Each scenario starts afresh: forget the keys' cooldown and retry budget.
          const agent = new ChatAgent(server.openaiBaseURL, quickStartConfig());
          resetUpstream(upstreamKeyOf(agent, 'complete')!);
          resetUpstream(upstreamKeyOf(agent, 'stream')!);
          resetUpstream(upstreamKeyOf(new ResponsesAgent(server.openaiBaseURL), 'events')!);
          resetUpstream('ResponsesAgent.background');
        })),
      );
    } else {
      console.log('Part 1 (the decorator) needs the fault server: skipped in --live.\n');
    }

    console.log('=== Part 2: the service layer ===');
    console.log('An agent built from AgentConfig, ResilientLLMService, AgentOrchestrator and LLMExecutor.\n');
    const config = AgentConfig.from({
      name: 'support-agent',
      provider: LLMProvider.OPENAI,
      model: 'gpt-4o-mini',
      ...(server ? { baseURL: server.openaiBaseURL, apiKey: 'sk-demo-not-a-real-key' } : {}),
      retryConfig: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 },
    });
    const service = new ResilientLLMService({ tracer: narrator });
    const agent: Agent = {
      config,
      orchestrator: new AgentOrchestrator({ service, tracer: narrator }),
      executor: new LLMExecutor({ tracer: narrator }),
    };
    // Live, the API answers at once: the scenarios whose story needs a fault the API will not make are left out.
    const playable = live
      ? serviceScenarios.filter(
          (scenario) => !scenario.faults.some((f) => f === '429-quota' || f.startsWith('stream-cut')),
        )
      : serviceScenarios;
    rows.push(...(await runScenarios(2, playable, agent, narrator, server)));
  } finally {
    await server?.close();
    // Back to the library's own logger and no tracer (main.ts runs another demo after this one).
    configureResilience({ tracer: undefined, logger: undefined });
  }

  printSummary(rows);
  const problems = rows.flatMap((row) => row.problems.map((problem) => `Unexpected: "${row.scenario}" ${problem}`));
  for (const problem of problems) console.error(problem);
  return problems.length === 0;
}

if (require.main === module) {
  const live = process.argv.includes('--live');
  if (live && !process.env.OPENAI_API_KEY) {
    console.error('--live needs OPENAI_API_KEY in the environment');
    process.exitCode = 2;
  } else {
    runLlmDemo({ live }).then(
      (demonstrated) => {
        if (!demonstrated) process.exitCode = 1;
      },
      (error: unknown) => {
        console.error('demo failed:', error);
        process.exitCode = 1;
      },
    );
  }
}
