/**
 * `npm run bench`: every scenario of issue #7, side by side in one run, several rounds,
 * one markdown report (median and range over the rounds) with date, Node version and cores.
 *
 * Each scenario runs in a fresh child process (`node build/bench/bench/<scenario>.js --json`),
 * so that no scenario inherits another's JIT state, heap or AsyncLocalStorage hook; the
 * rounds are interleaved (round 1 of every scenario, then round 2, ...), so a slow minute
 * on a shared machine spreads over all of them rather than hitting one. The per-scenario
 * scripts still run on their own (`npm run bench:goodput`, ...).
 *
 * Flags: `--rounds N` (default 3), `--only success,goodput,outage,streaming,memory`.
 * The memory scenario (2 x 1,000,000 calls) runs once, in the first round.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GoodputRow } from './rate-limited-goodput';
import type { OutageRow } from './outage';
import type { MemoryRow } from './memory';
import type { StreamingResult } from './streaming';
import type { SuccessRow } from './success-path';
import { describeMachine, JSON_PREFIX, machine, median } from './support/report';

interface Scenario {
  id: string;
  script: string;
  nodeFlags: string[];
  args: string[];
  everyRound: boolean;
}

const SEMI_SPACE = ['--min-semi-space-size=64', '--max-semi-space-size=64'];
const SCENARIOS: Scenario[] = [
  {
    id: 'success',
    script: 'success-path.js',
    nodeFlags: ['--expose-gc', ...SEMI_SPACE],
    args: ['--runs', '11', '--group', 'core'],
    everyRound: true,
  },
  {
    id: 'success-peers',
    script: 'success-path.js',
    nodeFlags: ['--expose-gc', ...SEMI_SPACE],
    args: ['--runs', '11', '--group', 'peers'],
    everyRound: true,
  },
  { id: 'goodput', script: 'rate-limited-goodput.js', nodeFlags: [], args: [], everyRound: true },
  { id: 'outage', script: 'outage.js', nodeFlags: [], args: [], everyRound: true },
  { id: 'streaming', script: 'streaming.js', nodeFlags: [], args: [], everyRound: true },
  { id: 'memory', script: 'memory.js', nodeFlags: ['--expose-gc', ...SEMI_SPACE], args: [], everyRound: false },
];

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const ROUNDS = Math.max(1, Number(option('rounds') ?? 3) || 3);
const ONLY = option('only')?.split(',');

/** Runs one scenario in a child process and returns what it handed over with `--json`. */
function runScenario(scenario: Scenario): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...scenario.nodeFlags, path.join(__dirname, scenario.script), ...scenario.args, '--json'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (stdout += text));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(JSON_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${scenario.script} exited with ${code}${line ? '' : ' and no result'}:\n${stdout}`));
        return;
      }
      resolve(JSON.parse(line.slice(JSON_PREFIX.length)));
    });
  });
}

// --- formatting ------------------------------------------------------------------------

/** `median (min–max)`; the range only when there is more than one value. */
function spread(values: number[], digits: number, unit = ''): string {
  const m = median(values).toFixed(digits) + unit;
  if (values.length < 2) return m;
  return `${m} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/** `spread` of one field over the rounds of a row. */
const column = <Row>(runs: Row[], pick: (row: Row) => number, digits: number): string => spread(runs.map(pick), digits);

const percent = (values: number[]) =>
  spread(
    values.map((v) => 100 * v),
    1,
    '%',
  );

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Rows of one client across rounds, by name, in first-round order. */
function byName<T extends { name: string }>(rounds: T[][]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const rows of rounds) for (const row of rows) map.set(row.name, [...(map.get(row.name) ?? []), row]);
  return map;
}

const verdicts: Array<[string, string, string]> = [];
const verdict = (target: string, measured: string, met: boolean) =>
  verdicts.push([target, measured, met ? '**met**' : '**missed**']);

// --- the scenarios' reports ------------------------------------------------------------

interface SuccessResult {
  calls: number;
  runs: number;
  /** The targets every llm-resilience row is held to (absent in results from older builds). */
  targets?: { maxXPlain: number; maxExtraBytes: number };
  off: SuccessRow[];
  on: SuccessRow[];
}

const OURS = 'llm-resilience @RetryOpenAI()';
const PLAIN = 'plain async method';
const DEFAULT_SUCCESS_TARGETS = { maxXPlain: 2.0, maxExtraBytes: 400 };
/** An llm-resilience row (every decorator and the pipeline), as opposed to the plain method and the peers. */
const isOurs = (runs: SuccessRow[], name: string) => runs.some((row) => row.ours) || name.startsWith('llm-resilience');

function reportSuccess(core: SuccessResult[], peers: SuccessResult[] | undefined): string {
  const out: string[] = [];
  for (const phase of ['off', 'on'] as const) {
    // Round by round: the core group's rows, then the peers group's (its plain row left out:
    // its × plain and extra bytes are already against it).
    const rounds = core.map((result, i) => [
      ...result[phase],
      ...(peers?.[i]?.[phase].filter((row) => row.name !== PLAIN) ?? []),
    ]);
    const rows = byName(rounds);
    const targets = core[0].targets ?? DEFAULT_SUCCESS_TARGETS;
    // Per llm-resilience row, on the medians over the rounds: ≤ 2× plain and ≤ 400 extra bytes.
    const rowVerdict = (name: string, runs: SuccessRow[]) => {
      if (!isOurs(runs, name)) return undefined;
      const ratio = median(runs.map((row) => row.xPlain));
      const extra = runs.flatMap((row) => (row.extraBytes === undefined ? [] : [row.extraBytes]));
      const bytes = extra.length ? median(extra) : undefined;
      const slow = ratio > targets.maxXPlain;
      const heavy = bytes === undefined || bytes > targets.maxExtraBytes;
      const why = [
        slow ? `> ${targets.maxXPlain}×` : '',
        heavy ? (bytes === undefined ? 'bytes n/a' : `> ${targets.maxExtraBytes} B`) : '',
      ]
        .filter(Boolean)
        .join(', ');
      return { ratio, bytes, met: !slow && !heavy, why };
    };
    const lines = [...rows].map(([name, runs]) => {
      const extra = runs.flatMap((row) => (row.extraBytes === undefined ? [] : [row.extraBytes]));
      const apart =
        peers !== undefined && peers[0][phase].some((row) => row.name === name && name !== PLAIN) ? ' †' : '';
      const v = rowVerdict(name, runs);
      return [
        name + apart,
        column(runs, (row) => row.ns, 1),
        column(runs, (row) => row.xPlain, 2),
        extra.length ? spread(extra, 0) : 'n/a',
        v === undefined ? '' : v.met ? 'met' : `**missed** (${v.why})`,
      ];
    });
    out.push(
      phase === 'off'
        ? '**Async context off** (no `getRetryContext()` in the process: the default):'
        : '**Async context on** (AsyncLocalStorage in use in the process, e.g. OpenTelemetry):',
      '',
      table(
        [
          'method',
          'ns/op',
          '× plain',
          'extra bytes/call',
          `≤ ${targets.maxXPlain.toFixed(1)}× and ≤ ${targets.maxExtraBytes} extra B`,
        ],
        lines,
      ),
      '',
    );
    if (phase === 'off') {
      const ours = rows.get(OURS)!;
      const ratio = median(ours.map((row) => row.xPlain));
      verdict('1. success path ≤ 2× a plain async call', `${ratio.toFixed(2)}× (median of rounds)`, ratio <= 2);
      for (const [name, runs] of rows) {
        const v = rowVerdict(name, runs);
        if (v === undefined) continue;
        verdict(
          `1. ${name.replace(/^llm-resilience /, '')}: ≤ ${targets.maxXPlain}× plain, ≤ ${targets.maxExtraBytes} extra B/call`,
          `${v.ratio.toFixed(2)}×, ${v.bytes === undefined ? 'n/a' : v.bytes.toFixed(0)} B`,
          v.met,
        );
      }
      // The peers: every row that is neither the plain method nor one of llm-resilience's.
      const peerNames = [...rows].filter(([name, runs]) => name !== PLAIN && !isOurs(runs, name)).map(([name]) => name);
      // Compared by × plain: the peers in the other group had their own plain reference.
      const oursRatio = median(ours.map((row) => row.xPlain));
      const slower = peerNames.filter((peer) => median(rows.get(peer)!.map((row) => row.xPlain)) <= oursRatio);
      const nearest = Math.min(
        ...peerNames.map((peer) => median(rows.get(peer)!.map((row) => row.xPlain)) / oursRatio),
      );
      verdict(
        '1. success path faster than every peer',
        slower.length
          ? `slower than ${slower.join(', ')}`
          : `nearest peer ${nearest.toFixed(1)}× our cost (openai SDK: n/a, cannot wrap a method)`,
        slower.length === 0,
      );
    }
  }
  if (peers !== undefined)
    out.push('† measured in a separate process, with its own plain method as reference (`--group peers`).');
  return out.join('\n');
}

function reportGoodput(results: Array<{ rows: GoodputRow[] }>): string {
  const rows = byName(results.map((r) => r.rows));
  const lines = [...rows].map(([name, runs]) => [
    name,
    column(runs, (r) => r.ok, 0),
    column(runs, (r) => r.seconds, 2),
    column(runs, (r) => r.xLimit, 2),
    column(runs, (r) => r.requests, 0),
    percent(runs.map((r) => r.rateLimitedShare)),
  ]);
  const ours = [...rows].find(([name]) => name.startsWith('llm-resilience'))![1];
  const allOk = ours.every((r) => r.failed === 0);
  const x = median(ours.map((r) => r.xLimit));
  const share = median(ours.map((r) => r.rateLimitedShare));
  verdict(
    '2. goodput: every call succeeds',
    `${Math.min(...ours.map((r) => r.ok))}/${ours[0].ok + ours[0].failed} in the worst round`,
    allOk,
  );
  verdict('2. goodput: total time ≤ 1.10× N/rate', `${x.toFixed(2)}×`, x <= 1.1);
  verdict('2. goodput: 429s ≤ 5% of N', `${(100 * share).toFixed(1)}%`, share <= 0.05);
  return table(['client', 'succeeded (of 1000)', 'total time (s)', '× limit', 'HTTP requests', '429 / N'], lines);
}

function reportOutage(results: Array<{ rows: OutageRow[] }>): string {
  const rows = byName(results.map((r) => r.rows));
  const lines = [...rows].map(([name, runs]) => [
    name,
    column(runs, (r) => r.ok, 0),
    column(runs, (r) => r.outageRequests, 0),
    column(runs, (r) => r.perCallInOutage, 2),
    column(runs, (r) => r.xOfferedAfterRecovery, 2),
  ]);
  const ours = [...rows].find(([name]) => name.startsWith('llm-resilience'))![1];
  const perCall = median(ours.map((r) => r.perCallInOutage));
  const recovery = median(ours.map((r) => r.xOfferedAfterRecovery));
  verdict('3. outage: ≤ 1.2 attempts per offered call', `${perCall.toFixed(2)}`, perCall <= 1.2);
  verdict('3. outage: ≤ 1.2× offered load in the 1st s after recovery', `${recovery.toFixed(2)}×`, recovery <= 1.2);
  return table(
    [
      'client',
      'succeeded (of 600)',
      'requests in outage',
      'per call offered in outage',
      '1st s after recovery, × offered',
    ],
    lines,
  );
}

function reportStreaming(results: StreamingResult[]): string {
  const rows = byName(results.map((r) => r.rows));
  const lines = [...rows].map(([name, runs]) => [
    name,
    column(runs, (r) => r.medianMs, 3),
    column(runs, (r) => r.p90Ms, 3),
  ]);
  // Each comparison's median paired difference, over the rounds (older results have one, unnamed).
  const pairNames = [...new Set(results.flatMap((r) => (r.pairs ?? []).map((pair) => pair.name)))];
  for (const name of pairNames) {
    const differences = results.map((r) => r.pairs.find((pair) => pair.name === name)?.medianPairedDifferenceMs ?? NaN);
    lines.push([`${name} (median of paired differences)`, spread(differences, 3), '']);
  }
  const difference = median(results.map((r) => r.medianPairedDifferenceMs));
  verdict(
    '5. streaming: TTFT within 1 ms of the raw SDK stream (the worst comparison)',
    `+${difference.toFixed(3)} ms`,
    difference <= 1,
  );
  return table(['client', 'median TTFT (ms)', 'p90 TTFT (ms)'], lines);
}

function reportMemory(result: { rows: MemoryRow[] }): string {
  const lines = result.rows.map((r) => [
    r.name,
    `${r.succeeded} / ${r.calls}`,
    String(r.attempts),
    (r.heapBeforeBytes / 2 ** 20).toFixed(2),
    (r.heapAfterBytes / 2 ** 20).toFixed(2),
    (r.growthBytes / 1024).toFixed(1),
  ]);
  for (const r of result.rows.filter((row) => row.name.startsWith('@RetryOpenAI'))) {
    const ok = r.growthBytes < 2 ** 20 && r.succeeded === r.calls;
    verdict(`4. memory: ${r.name}, growth < 1 MB after GC`, `${(r.growthBytes / 1024).toFixed(1)} KB`, ok);
  }
  return table(['method', 'succeeded', 'attempts', 'heap before (MB)', 'heap after (MB)', 'growth (KB)'], lines);
}

// --- main ------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = machine();
  const t0 = performance.now();
  const scenarios = SCENARIOS.filter((s) => ONLY === undefined || ONLY.includes(s.id.split('-')[0]));
  const results = new Map<string, unknown[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) {
      if (!scenario.everyRound && round > 1) continue;
      const t = performance.now();
      process.stderr.write(`round ${round}/${ROUNDS}: ${scenario.id} ... `);
      const result = await runScenario(scenario);
      process.stderr.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
      results.set(scenario.id, [...(results.get(scenario.id) ?? []), result]);
    }
  }
  const got = <T>(id: string) => results.get(id) as T[] | undefined;
  const sections: string[] = [];
  const success = got<SuccessResult>('success');
  if (success) {
    sections.push(
      `### 1. Success-path overhead\n\nUp to ${success[0].calls} sequential awaited calls per timed run (a wrapper costing microseconds per call runs as many as take ~150 ms), median of ${success[0].runs} interleaved runs per round; bytes allocated per call beyond the plain call, read over a stretch with no GC. Every wrapper allows 3 attempts.\n\n${reportSuccess(success, got<SuccessResult>('success-peers'))}`,
    );
  }
  const goodput = got<{ rows: GoodputRow[] }>('goodput');
  if (goodput) {
    sections.push(
      `### 2. Rate-limited goodput\n\n1000 calls, concurrency 50, fault server token bucket 200 req/s burst 10 (limit N/rate = 5.0 s); 10 attempts in all for every retrying client.\n\n${reportGoodput(goodput)}`,
    );
  }
  const outage = got<{ rows: OutageRow[] }>('outage');
  if (outage) {
    sections.push(
      `### 3. Outage amplification\n\n100 calls/s for 6 s, open loop; every request answered 503 for the first 3 s; 3 attempts in all for every retrying client.\n\n${reportOutage(outage)}`,
    );
  }
  const memory = got<{ rows: MemoryRow[] }>('memory');
  if (memory) {
    sections.push(
      `### 4. Memory\n\n1,000,000 calls per method (batches of 10,000 concurrent calls, after 50,000 warm-up calls), heapUsed after 4 full GCs before and after; one round.\n\n${reportMemory(memory[0])}`,
    );
  }
  const streaming = got<StreamingResult>('streaming');
  if (streaming) {
    sections.push(
      `### 5. Streaming: time to first token\n\n300 streams each per round, alternating with the raw SDK, warm keep-alive connections, fault server on loopback (no faults).\n\n${reportStreaming(streaming)}`,
    );
  }

  const seconds = (performance.now() - t0) / 1000;
  console.log(`## Benchmark run — ${describeMachine(started)}\n`);
  console.log(
    `\`npm run bench\`: ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}, each scenario in a fresh process, rounds interleaved; figures are \`median (min–max)\` over the rounds. Took ${seconds.toFixed(0)} s; load average at the end ${os.loadavg()[0].toFixed(2)}.\n`,
  );
  console.log('### Targets (issue #7)\n');
  console.log(
    table(
      ['target', 'measured (median)', ''],
      verdicts.map((v) => [...v]),
    ),
  );
  console.log(`\n${sections.join('\n\n')}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
