/**
 * The chaos soak's fault plans: for each logical call, the fault each of its requests gets
 * (drawn from a seeded PRNG, so a seed always gives the same plans), and what the library
 * must make of that plan (the oracle). The fault server applies a call's plan through
 * `faultFor`, keyed by the call's tag in the prompt, so concurrency and arrival order do
 * not change which call gets which fault.
 */
import type { FailureKind } from '../../src';
import type { FaultSpec } from '../../src/testing';
import { mulberry32 } from '../../src/testing/mulberry32';

/** `chat`: `ResilientLLMService.resilientChatCompletion`; `stream`: `LLMExecutor.executeStream`. */
export type CallMode = 'chat' | 'stream';

export interface CallPlan {
  index: number;
  mode: CallMode;
  /** Unique per call and in its prompt: how the server and the test tell calls apart. */
  tag: string;
  prompt: string;
  /** The fault of request i of this call; past the end, `ok`. */
  faults: FaultSpec[];
}

export interface PlanOptions {
  seed: number;
  calls: number;
  /** Share of requests that get a fault. */
  faultRate: number;
  /** Share of calls that stream. */
  streamShare: number;
  maxAttempts: number;
}

/**
 * What a faulty request gets, with weights (they need not add up to 100). Retry-After waits
 * are tiny so the soak spends its time on requests; `stream-cut` on a plain request cuts
 * the JSON body halfway.
 */
const FAULT_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['429', 14], // 429:<1..20>
  ['500', 10],
  ['503', 10],
  ['reset', 12],
  ['hang', 4],
  ['stream-cut', 14], // stream-cut:<0..3>
  ['malformed-json', 12],
  ['429-quota', 8],
  ['401', 8],
];
const TOTAL_WEIGHT = FAULT_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);

/** Words of every prompt after the tag: a streamed reply has 2 + this many content chunks (`stream-cut:3` cuts it). */
const PROMPT_WORDS = 'be brief';

export function makePlans(options: PlanOptions): CallPlan[] {
  const random = mulberry32(options.seed);
  const plans: CallPlan[] = [];
  for (let index = 0; index < options.calls; index++) {
    const mode: CallMode = random() < options.streamShare ? 'stream' : 'chat';
    const tag = `chaos-call-${String(index).padStart(5, '0')}`;
    const faults: FaultSpec[] = [];
    // One draw per possible attempt, always: a call's plan does not shift the next call's.
    for (let attempt = 0; attempt < options.maxAttempts; attempt++) {
      const roll = random();
      const pick = random();
      const detail = random();
      faults.push(roll < options.faultRate ? drawFault(pick, detail) : 'ok');
    }
    plans.push({ index, mode, tag, prompt: `${tag} ${PROMPT_WORDS}`, faults: trimAfterEnd(faults, mode) });
  }
  return plans;
}

function drawFault(pick: number, detail: number): FaultSpec {
  let point = pick * TOTAL_WEIGHT;
  let name = FAULT_WEIGHTS[FAULT_WEIGHTS.length - 1][0];
  for (const [candidate, weight] of FAULT_WEIGHTS) {
    if (point < weight) {
      name = candidate;
      break;
    }
    point -= weight;
  }
  if (name === '429') return `429:${1 + Math.floor(detail * 20)}`;
  if (name === 'stream-cut') return `stream-cut:${Math.floor(detail * 4)}`;
  return name;
}

/** The plan up to the request that ends the call (an ok, or a fault that is not retried). */
function trimAfterEnd(faults: FaultSpec[], mode: CallMode): FaultSpec[] {
  const end = faults.findIndex((fault) => endsCall(fault, mode));
  return end === -1 ? faults : faults.slice(0, end + 1);
}

function endsCall(fault: FaultSpec, mode: CallMode): boolean {
  if (fault === 'ok' || fault === '429-quota' || fault === '401') return true;
  // A stream cut after content reached the caller is not retried (the caller saw part of it).
  return mode === 'stream' && fault.startsWith('stream-cut:') && fault !== 'stream-cut:0';
}

/** What the library must report for a plan. */
export interface ExpectedOutcome {
  ok: boolean;
  /** Requests the server sees, and attempts the library reports. */
  attempts: number;
  /** The request that ended the call (its fault decides the error). */
  last: FaultSpec;
  /** For `chat` failures: `AgentExecutionError.kind`. */
  kind?: FailureKind;
  /** For `stream` failures: what the thrown error is. */
  streamError?: StreamErrorShape;
}

export type StreamErrorShape =
  | { type: 'interrupted'; deliveredChunks: number }
  | { type: 'status'; status: number; code?: string }
  | { type: 'connection' }
  | { type: 'attempt-timeout' }
  | { type: 'terminated' }
  | { type: 'syntax' };

export function expectedOutcome(plan: CallPlan): ExpectedOutcome {
  const attempts = plan.faults.length;
  const last = plan.faults[attempts - 1];
  if (last === 'ok') return { ok: true, attempts, last };
  return plan.mode === 'chat'
    ? { ok: false, attempts, last, kind: chatKind(last) }
    : { ok: false, attempts, last, streamError: streamError(last) };
}

/** `classifyError(...).kind` of the error each fault produces. */
function chatKind(fault: FaultSpec): FailureKind {
  if (fault.startsWith('429:')) return 'rate_limit';
  if (fault.startsWith('stream-cut:')) return 'network'; // `TypeError: terminated` from undici
  switch (fault) {
    case '429-quota':
      return 'quota_exhausted';
    case '401':
      return 'auth';
    case '500':
    case '503':
      return 'server';
    case 'reset':
      return 'network';
    case 'hang':
      return 'timeout';
    case 'malformed-json':
      // A bare SyntaxError from the SDK's JSON parse: retried by the service's predicate,
      // but the classifier has no kind for it.
      return 'unknown';
    default:
      throw new Error(`no expected kind for ${fault}`);
  }
}

function streamError(fault: FaultSpec): StreamErrorShape {
  if (fault.startsWith('429:')) return { type: 'status', status: 429, code: 'rate_limit_exceeded' };
  if (fault.startsWith('stream-cut:')) {
    const chunks = Number(fault.slice('stream-cut:'.length));
    return chunks === 0 ? { type: 'terminated' } : { type: 'interrupted', deliveredChunks: chunks };
  }
  switch (fault) {
    case '429-quota':
      return { type: 'status', status: 429, code: 'insufficient_quota' };
    case '401':
      return { type: 'status', status: 401, code: 'invalid_api_key' };
    case '500':
      return { type: 'status', status: 500 };
    case '503':
      return { type: 'status', status: 503 };
    case 'reset':
      // The SDK wraps a reset before the response in APIConnectionError (no status).
      return { type: 'connection' };
    case 'hang':
      return { type: 'attempt-timeout' };
    case 'malformed-json':
      return { type: 'syntax' };
    default:
      throw new Error(`no expected stream error for ${fault}`);
  }
}

/** The faults that must never be retried. */
export const isNonRetryable = (fault: FaultSpec): boolean => fault === '429-quota' || fault === '401';
