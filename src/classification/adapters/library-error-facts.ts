import { BRANDS, hasBrand } from '../../internal/brands';
import type { ErrorFacts } from '../failure-kind';

/**
 * The library's own errors: its timeouts are timeouts (so a call exhausted by them can
 * move on to a fallback), a failed Azure AD token provider is a credential error, and a
 * stream's failure event is classified by its code.
 */
export function libraryErrorFacts(error: unknown): ErrorFacts | undefined {
  if (
    hasBrand(error, BRANDS.attemptTimeout) ||
    hasBrand(error, BRANDS.retryTimeout) ||
    hasBrand(error, BRANDS.streamTimeout)
  ) {
    return { source: 'library', isTimeout: true };
  }
  if (hasBrand(error, BRANDS.tokenProvider)) return { source: 'library', isCredentialError: true };
  if (hasBrand(error, BRANDS.circuitOpen)) return { source: 'library', isCircuitOpen: true };
  if (hasBrand(error, BRANDS.upstreamThrottled)) return { source: 'library', isUpstreamThrottled: true };
  // A failure event of a stream (`response.failed`, `error`): its code decides, as a body's would.
  if (hasBrand(error, BRANDS.streamEvent)) {
    const code = (error as { code?: unknown }).code;
    return { source: 'library', streamEventCode: typeof code === 'string' ? code : '' };
  }
  return undefined;
}
