/**
 * `npm run demo`: an agent built from llm-resilience's services, run through a scripted mix
 * of failures of the local fault server (llm-resilience/testing) with the real `openai` SDK.
 *
 *   npm run demo                              # against the local fault server
 *   OPENAI_API_KEY=... npm run demo -- --live # the same agent against the real API
 *
 * Prints the library's warning lines (stderr), the trace events, and a summary table. Against
 * the fault server, exits non-zero when a scenario did not end as described.
 */
// In an app: 'llm-resilience'.
import {
  AgentConfig,
  AgentOrchestrator,
  configureResilience,
  LLMExecutor,
  LLMProvider,
  ResilientLLMService,
  Tracer,
} from '../../src';
// In an app: 'llm-resilience/testing'.
import { FaultSpec, startFaultServer } from '../../src/testing';

interface Scenario {
  title: string;
  faults: FaultSpec[];
  /** How the scenario ends against the fault server: the outcome and the attempts it takes. */
  expected: { outcome: string; attempts: number };
  run(agent: Agent): Promise<string>;
}

interface Row {
  call: string;
  attempts: number;
  waitedMs: number;
  outcome: string;
  shownToUser: string;
  ms: number;
}

/** Counts what the engine reports, per scenario. */
class DemoTracer implements Tracer {
  attempts = 0;
  waitedMs = 0;
  logEvent(event: string, details: Record<string, unknown>): void {
    if (event === 'retry_attempt_start') this.attempts++;
    if (event === 'retry_backoff_delay') this.waitedMs += Number(details.delay_seconds) * 1000;
    console.log(`    trace ${event} ${JSON.stringify(details)}`);
  }
  logError(code: string, message: string): void {
    console.log(`    trace logError ${code}: ${message}`);
  }
  reset(): void {
    this.attempts = 0;
    this.waitedMs = 0;
  }
}

/** The example agent: one config, the three services. */
class Agent {
  constructor(
    readonly config: AgentConfig,
    readonly orchestrator: AgentOrchestrator,
    readonly executor: LLMExecutor,
  ) {}
}

const question = (text: string) => [{ role: 'user' as const, content: text }];

const scenarios: Scenario[] = [
  {
    title: 'rate limited twice (Retry-After), then answered',
    faults: ['429', '429', 'ok'],
    expected: { outcome: 'ok', attempts: 3 },
    run: async (agent) =>
      (await agent.orchestrator.respond(agent.config, question('Summarise our refund policy'))).content,
  },
  {
    title: 'a 503, then answered',
    faults: ['503', 'ok'],
    expected: { outcome: 'ok', attempts: 2 },
    run: async (agent) => (await agent.orchestrator.respond(agent.config, question('What is 2 + 2?'))).content,
  },
  {
    title: 'connection reset, then answered',
    faults: ['reset', 'ok'],
    expected: { outcome: 'ok', attempts: 2 },
    run: async (agent) => agent.executor.executeText(agent.config, question('Say hello')),
  },
  {
    title: 'quota exhausted: fails fast, user sees a safe message',
    faults: ['429-quota'],
    expected: { outcome: 'failed (handled)', attempts: 1 },
    run: async (agent) => (await agent.orchestrator.respond(agent.config, question('Tell me a joke'))).content,
  },
  {
    title: 'stream breaks before its first chunk, then streams',
    faults: ['stream-cut:0', 'ok'],
    expected: { outcome: 'ok', attempts: 2 },
    run: async (agent) => {
      let text = '';
      for await (const delta of agent.executor.executeStream(agent.config, question('Stream a greeting')))
        text += delta;
      return text;
    },
  },
];

/**
 * Runs every scenario and prints the summary. Against the fault server, answers whether each
 * scenario ended as described (each mismatch is reported on stderr); live, always true.
 */
export async function runLlmDemo({ live = false }: { live?: boolean } = {}): Promise<boolean> {
  const server = live ? undefined : await startFaultServer();
  const tracer = new DemoTracer();
  configureResilience({ tracer });
  const config = AgentConfig.from({
    name: 'support-agent',
    provider: LLMProvider.OPENAI,
    model: 'gpt-4o-mini',
    ...(server ? { baseURL: server.openaiBaseURL, apiKey: 'sk-demo-not-a-real-key' } : {}),
    retryConfig: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 },
  });
  const service = new ResilientLLMService({ tracer });
  const agent = new Agent(config, new AgentOrchestrator({ service, tracer }), new LLMExecutor({ tracer }));

  console.log(live ? 'Live run against the OpenAI API\n' : `Fault server at ${server!.openaiBaseURL}\n`);
  const rows: Row[] = [];
  try {
    for (const scenario of scenarios) {
      if (live && scenario.faults.some((fault) => fault !== 'ok')) {
        if (scenario.title.startsWith('quota') || scenario.title.startsWith('stream breaks')) continue;
      }
      server?.setScript(scenario.faults);
      tracer.reset();
      console.log(`${scenario.title}${server ? `  [server script: ${scenario.faults.join(', ')}]` : ''}`);
      const started = Date.now();
      let outcome = 'ok';
      let shown = '';
      try {
        shown = await scenario.run(agent);
        if (shown.startsWith('❌')) outcome = 'failed (handled)';
      } catch (error) {
        outcome = `threw ${(error as Error).name}`;
      }
      const ms = Date.now() - started;
      console.log(`  => ${shown}\n`);
      rows.push({
        call: scenario.title,
        attempts: tracer.attempts,
        waitedMs: tracer.waitedMs,
        outcome,
        shownToUser: shown,
        ms,
      });
    }
  } finally {
    await server?.close();
  }

  console.log('Summary');
  console.table(
    rows.map((row) => ({
      call: row.call,
      attempts: row.attempts,
      retries: Math.max(0, row.attempts - 1),
      'waited (ms)': Math.round(row.waitedMs),
      'took (ms)': row.ms,
      outcome: row.outcome,
      'shown to the user': row.shownToUser.length > 70 ? `${row.shownToUser.slice(0, 67)}...` : row.shownToUser,
    })),
  );

  if (live) return true;
  let demonstrated = true;
  for (const [index, scenario] of scenarios.entries()) {
    const row = rows[index];
    if (row?.outcome !== scenario.expected.outcome || row.attempts !== scenario.expected.attempts) {
      console.error(
        `Unexpected: "${scenario.title}" should end ${scenario.expected.outcome} after ${scenario.expected.attempts} attempt(s), ` +
          `got ${row?.outcome ?? 'no result'} after ${row?.attempts ?? 0}`,
      );
      demonstrated = false;
    }
  }
  return demonstrated;
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
