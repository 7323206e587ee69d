import { parseArgs } from 'node:util';

import type { FaultServerOptions } from './fault-server';
import { FAULT_SPEC_FORMS, parseFaultSpecs } from './fault-spec';

/**
 * The command line of `llm-resilience-fault-server`, parsed into server options. Pure
 * (no I/O): `main` prints and exits, this only decides, so every flag rule is tested as data.
 */

export type CliCommand =
  { kind: 'help' } | { kind: 'run'; options: FaultServerOptions; quiet: boolean } | { kind: 'error'; message: string };

export const DEFAULT_CLI_PORT = 8080;

export const USAGE = `Usage: llm-resilience-fault-server [options]

An OpenAI / Azure OpenAI compatible server on 127.0.0.1 (chat completions, the Responses
API with background responses, embeddings, models) that injects faults, for testing
retry logic.

Options:
  -p, --port <n>              port to listen on (default ${DEFAULT_CLI_PORT}; 0 = any free port)
  -s, --script <specs>        comma-separated faults for requests 1, 2, 3, ... (then random mode)
      --fault-rate <r>        share of requests in [0, 1] that get a random fault (default 0)
      --faults <specs>        what random faults are drawn from (default 429,500,503,reset)
      --seed <n>              integer seed of the random mode (default 1)
      --rps <r>               token-bucket rate limit: requests per second (answers 429 beyond it)
      --burst <n>             token-bucket size (default: rps rounded up); needs --rps
      --max-body-bytes <n>    largest request body read; larger ones get 413 (default 1048576)
      --record-limit <n>      how many requests (and background responses) are kept in memory (default 10000)
  -q, --quiet                 do not log each request
  -h, --help                  show this help

Fault specs: ${FAULT_SPEC_FORMS.join(', ')}
  <n> counts content chunks (chat) or output_text deltas (Responses); <code> is [a-z_]+
  (default server_error). Stream faults on requests that do not stream: response-failed is
  a 200 failed response (Responses) or a 500 with the code, error-event a 500, quota-stream
  the 429 insufficient_quota, incomplete a truncated reply, stall(-first) a pause in the body.

Endpoints (OpenAI, then Azure):
  POST /v1/chat/completions    /openai/deployments/<d>/chat/completions, /openai/v1/chat/completions
  POST /v1/responses           /openai/responses, /openai/v1/responses
  GET  /v1/responses/<id>      (background responses; ?stream=true&starting_after=<n> replays events)
  POST /v1/embeddings          /openai/deployments/<d>/embeddings, /openai/v1/embeddings
  GET  /v1/models              /openai/models, /openai/v1/models

Clients:
  new OpenAI({ baseURL: 'http://127.0.0.1:<port>/v1', apiKey: 'sk-test', maxRetries: 0 })
  new AzureOpenAI({ endpoint: 'http://127.0.0.1:<port>', apiKey: 'test', apiVersion: '2024-10-21', deployment: 'gpt-4o' })

Example:
  llm-resilience-fault-server --port 8080 --script 429,503,ok --fault-rate 0.3 --faults 429,503,reset --seed 7 --rps 50 --burst 10
  llm-resilience-fault-server --script stream-cut:3,response-failed:2:server_error,stall:1:5000,incomplete:max_output_tokens
`;

export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string', short: 'p' },
        script: { type: 'string', short: 's' },
        'fault-rate': { type: 'string' },
        faults: { type: 'string' },
        seed: { type: 'string' },
        rps: { type: 'string' },
        burst: { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'record-limit': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // parseArgs' messages already name the flag ("Unknown option '--prot'"). Read `message`
    // by shape: under a VM realm (jest) Node's own errors are not `instanceof Error`.
    return { kind: 'error', message: messageOf(error) };
  }
  if (values.help) return { kind: 'help' };

  try {
    const options: FaultServerOptions = { port: DEFAULT_CLI_PORT };
    const str = (name: string) => values[name] as string | undefined;
    if (str('port') !== undefined) options.port = integerFlag('--port', str('port')!, 0, 65535);
    if (str('script') !== undefined) options.script = specList('--script', str('script')!);
    if (str('faults') !== undefined) options.faults = specList('--faults', str('faults')!);
    if (str('fault-rate') !== undefined) options.faultRate = numberFlag('--fault-rate', str('fault-rate')!, 0, 1, true);
    if (str('seed') !== undefined) options.seed = integerFlag('--seed', str('seed')!, -(2 ** 31), 2 ** 32 - 1);
    if (str('burst') !== undefined && str('rps') === undefined) throw new Error('--burst needs --rps');
    if (str('rps') !== undefined) {
      const rps = numberFlag('--rps', str('rps')!, 0, 1_000_000, false);
      const burst =
        str('burst') !== undefined ? integerFlag('--burst', str('burst')!, 1, 1_000_000) : Math.max(1, Math.ceil(rps));
      options.rateLimit = { rps, burst };
    }
    if (str('max-body-bytes') !== undefined)
      options.maxBodyBytes = positiveIntegerFlag('--max-body-bytes', str('max-body-bytes')!);
    if (str('record-limit') !== undefined)
      options.recordLimit = positiveIntegerFlag('--record-limit', str('record-limit')!);
    return { kind: 'run', options, quiet: values.quiet === true };
  } catch (error) {
    return { kind: 'error', message: messageOf(error) };
  }
}

function specList(flag: string, text: string): string[] {
  const specs = text.split(',').map((spec) => spec.trim());
  parseFaultSpecs(specs, flag); // throws naming the flag and the bad spec
  return specs;
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value >= min && value <= max))
    throw new Error(`${flag} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  return value;
}

function positiveIntegerFlag(flag: string, text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(value) && value >= 1))
    throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

/** A plain decimal (`0.3`, `50`); `includeMin` says whether `min` itself is allowed. */
function numberFlag(flag: string, text: string, min: number, max: number, includeMin: boolean): number {
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(text.trim()) ? Number(text) : NaN;
  const aboveMin = includeMin ? value >= min : value > min;
  if (!(aboveMin && value <= max)) {
    const range = includeMin ? `in [${min}, ${max}]` : `greater than ${min} and at most ${max}`;
    throw new Error(`${flag} must be a number ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
