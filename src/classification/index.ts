// Error classification: adapters turn provider errors into facts; one policy turns facts into a verdict.
export {
  classifyError,
  classifyOpenAIError,
  classifyAzureError,
  classifyNetworkError,
  classifyFacts,
  shouldRetryOpenAIError,
  shouldRetryAzureError,
  shouldRetryNetworkError,
} from './classify-error';
export type { ErrorFactsAdapter } from './classify-error';
export type { FailureKind, ErrorClassification, ErrorFacts } from './failure-kind';
export {
  STATUS_RULES,
  PROVIDER_CODE_RULES,
  NETWORK_CODE_RULES,
  ruleForStatus,
  ruleForProviderCode,
  ruleForNetworkCode,
} from './status-table';
export type { ClassificationRule, StatusRule, ProviderCodeRule } from './status-table';
