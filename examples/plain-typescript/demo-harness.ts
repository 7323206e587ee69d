/**
 * What `llm-demo.ts` needs besides its scenarios: a tracer and logger that narrate each call
 * in plain lines, a runner that plays scenarios against the fault server and checks that each
 * ends as it says, and the summary table. Nothing here is needed in an application.
 */
// In an app: 'llm-resilience'.
import type { ResilienceLogger, Tracer } from '../../src';
// In an app: 'llm-resilience/testing'.
import type { FaultServer, FaultSpec } from '../../src/testing';

export type WaitSource = 'retry-after' | 'backoff';

export interface Scenario<Context> {
  /** Short, also the row of the summary table. */
  title: string;
  /** One sentence: what the scenario shows. */
  shows: string;
  /** What the fault server does to the scenario's requests, in order. */
  faults: FaultSpec[];
  /**
   * How the scenario ends against the fault server: `outcome` (`ok`, `threw <ErrorClass>`,
   * `failed (handled)`), the requests the server received, and, when given, how each wait
   * was set and the bounds of the time the call took.
   */
  expected: { outcome: string; requests: number; waits?: WaitSource[]; tookMs?: [number, number] };
  /**
   * Makes the call; answers what the caller got. `received` collects streamed chunks, `say`
   * prints a line of the scenario's own.
   */
  run(context: Context, call: { received: string[]; say(text: string): void }): Promise<string>;
}

export interface Row {
  scenario: string;
  requests: number;
  waitedMs: number;
  ms: number;
  outcome: string;
  got: string;
  /** How the scenario differed from its `expected` (empty when it did not). */
  problems: string[];
}

const INDENT = '     ';

/**
 * Tracer and logger in one: prints the engine's trace events as plain lines ("attempt 1/4:
 * failed ...", "wait 1.58 s ...") and the library's log lines as they would read in an app,
 * without the timestamp and metadata. Counts attempts and waits per scenario.
 */
export class Narrator implements Tracer {
  attempts = 0;
  waitedMs = 0;
  waits: WaitSource[] = [];
  /** The attempt line waiting for its result ("attempt 2/4"), printed with it. */
  private pending: string | undefined;

  /** The library's log lines (in an app: winston, one line each on stderr); debug lines left out. */
  readonly logger: ResilienceLogger = {
    error: (message: string) => this.say(`error [llm-resilience] ${message}`),
    warn: (message: string) => this.say(`warn [llm-resilience] ${message}`),
    info: (message: string) => this.say(`info [llm-resilience] ${message}`),
    debug: () => undefined,
    isLevelEnabled: (level: string) => level !== 'debug',
  };

  logEvent(event: string, details: Record<string, unknown>): void {
    switch (event) {
      case 'retry_attempt_start':
        this.attempts++;
        this.flush();
        this.pending = `attempt ${String(details.attempt)}/${String(details.max_attempts)}`;
        return;
      case 'retry_attempt_failed': {
        const status = details.status === undefined ? '' : ` ${String(details.status)}`;
        return this.result(`failed: ${String(details.error_type)}${status} (${String(details.kind)})`);
      }
      case 'llm_call_success':
        return this.result('succeeded');
      case 'retry_backoff_delay': {
        const ms = Number(details.delay_seconds) * 1000;
        const source: WaitSource = details.source === 'retry-after' ? 'retry-after' : 'backoff';
        this.waitedMs += ms;
        this.waits.push(source);
        // The event's backoff_formula says how the wait was set: the server's Retry-After
        // ("Retry-After 1.50 s + up to 10% spread"), or the backoff ("0.25 * (2 ** 1)", the
        // ceiling of the random draw under the default full jitter).
        const how =
          source === 'retry-after'
            ? `set by the server: ${String(details.backoff_formula)}`
            : `backoff, full jitter: random up to ${String(details.backoff_formula)} s`;
        return this.say(`wait ${(ms / 1000).toFixed(2)} s (${how})`);
      }
      case 'retry_not_retryable':
        return this.say(`not retried: ${String(details.reason)} (${String(details.kind)})`);
      case 'max_retries_exceeded':
        return this.say(`gave up: all ${String(details.max_attempts)} attempts failed`);
      default:
        return this.say(`trace ${event} ${JSON.stringify(details)}`);
    }
  }

  logError(code: string, message: string): void {
    this.say(`trace logError ${code}: ${message}`);
  }

  /** One indented line under the current scenario (after the pending attempt line, if any). */
  say(text: string): void {
    this.flush();
    console.log(`${INDENT}${text}`);
  }

  reset(): void {
    this.flush();
    this.attempts = 0;
    this.waitedMs = 0;
    this.waits = [];
  }

  private result(text: string): void {
    if (this.pending === undefined) return this.say(text);
    console.log(`${INDENT}${this.pending}: ${text}`);
    this.pending = undefined;
  }

  /** Prints the pending attempt line, if any. */
  flush(): void {
    if (this.pending === undefined) return;
    console.log(`${INDENT}${this.pending}`);
    this.pending = undefined;
  }
}

/** The class of an error: openai's errors all have `name === 'Error'`, their classes do not. */
function errorClass(error: unknown): string {
  const name = (error as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name && name !== 'Error' ? name : ((error as { name?: string } | undefined)?.name ?? String(error));
}

/** What the caller got from a failure: the HTTP status of a provider's error, else the message. */
function describeFailure(error: unknown): string {
  const { status, message } = (error ?? {}) as { status?: unknown; message?: unknown };
  return typeof status === 'number' ? `HTTP ${status}` : typeof message === 'string' ? message : '';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Plays each scenario: sets the fault server's script (when there is a server), makes the
 * call, prints what happened (scenarios labelled 1a, 1b, ... for part 1) and what the caller got, and compares with `expected`.
 * `each` runs after every scenario (the demo forgets the key's state there).
 */
export async function runScenarios<Context>(
  part: number,
  scenarios: ReadonlyArray<Scenario<Context>>,
  context: Context,
  narrator: Narrator,
  server: FaultServer | undefined,
  each?: () => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const label = `${part}${String.fromCharCode(97 + index)} ${scenario.title}`;
    console.log(`${label}\n${INDENT}${scenario.shows}`);
    if (server) {
      console.log(`${INDENT}server script: ${scenario.faults.join(', ')}`);
      server.setScript(scenario.faults);
    }
    narrator.reset();
    const before = server?.requests.length ?? 0;
    const received: string[] = [];
    const started = Date.now();
    let outcome = 'ok';
    let got: string;
    try {
      got = await scenario.run(context, { received, say: (text) => narrator.say(text) });
      if (got.startsWith('❌')) outcome = 'failed (handled)';
    } catch (error) {
      outcome = `threw ${errorClass(error)}`;
      got = describeFailure(error);
    }
    const ms = Date.now() - started;
    narrator.flush();
    const requests = server ? server.requests.length - before : narrator.attempts;
    const verdict = outcome === 'ok' ? (requests > 1 ? 'recovered' : 'ok') : outcome;
    const chunks = received.length > 0 ? `, ${received.length} chunk(s) before that` : '';
    console.log(`${INDENT}=> ${verdict}: ${got}`);
    console.log(
      `${INDENT}   (${requests} request(s)${chunks}, waited ${seconds(narrator.waitedMs)}, took ${seconds(ms)})\n`,
    );
    rows.push({
      scenario: label,
      requests,
      waitedMs: narrator.waitedMs,
      ms,
      outcome,
      got,
      problems: server ? differences(scenario, { outcome, requests, ms, waits: narrator.waits }) : [],
    });
    each?.();
  }
  return rows;
}

function differences(
  scenario: Scenario<unknown>,
  actual: { outcome: string; requests: number; ms: number; waits: WaitSource[] },
): string[] {
  const { expected } = scenario;
  const problems: string[] = [];
  if (actual.outcome !== expected.outcome || actual.requests !== expected.requests) {
    problems.push(
      `should end ${expected.outcome} after ${expected.requests} request(s), got ${actual.outcome} after ${actual.requests}`,
    );
  }
  if (expected.waits && actual.waits.join() !== expected.waits.join()) {
    problems.push(`waits should be set by [${expected.waits.join(', ')}], were by [${actual.waits.join(', ')}]`);
  }
  if (expected.tookMs && (actual.ms < expected.tookMs[0] || actual.ms > expected.tookMs[1])) {
    problems.push(`should take ${expected.tookMs[0]}..${expected.tookMs[1]} ms, took ${actual.ms}`);
  }
  return problems;
}

/** The summary table of every scenario played. */
export function printSummary(rows: readonly Row[]): void {
  const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 3)}...` : text);
  console.log('Summary');
  console.table(
    rows.map((row) => ({
      scenario: clip(row.scenario, 50),
      requests: row.requests,
      'waited (ms)': Math.round(row.waitedMs),
      'took (ms)': row.ms,
      outcome: row.outcome,
      'the caller got': clip(row.got, 40),
    })),
  );
}
