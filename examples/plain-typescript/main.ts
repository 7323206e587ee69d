/**
 * The plain TypeScript example, both parts in turn (what `npm run examples` and CI run):
 *
 *   npm run demo          # llm-demo.ts: the Quick Start decorator, then the LLM services, against the fault server
 *   npm run demo:network  # network-retry-demo.ts: @RetryOpenAI and @RetryNetwork on plain classes
 *
 * Exits non-zero when either part did not behave as it describes.
 */
import { runLlmDemo } from './llm-demo';
import { runNetworkDemo } from './network-retry-demo';

async function main(): Promise<boolean> {
  console.log('=== llm-demo.ts (npm run demo) ===\n');
  const llm = await runLlmDemo();
  console.log('\n=== network-retry-demo.ts (npm run demo:network) ===\n');
  const network = await runNetworkDemo();
  return llm && network;
}

main().then(
  (demonstrated) => {
    if (!demonstrated) process.exitCode = 1;
  },
  (error: unknown) => {
    console.error('example failed:', error);
    process.exitCode = 1;
  },
);
