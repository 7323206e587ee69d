import { BRANDS, hasBrand } from '../../internal/brands';
import type { ErrorFacts } from '../failure-kind';

/**
 * The library's own errors: its timeouts are timeouts (so a call exhausted by them can
 * move on to a fallback), and a failed Azure AD token provider is a credential error.
 */
export function libraryErrorFacts(error: unknown): ErrorFacts | undefined {
  if (hasBrand(error, BRANDS.attemptTimeout) || hasBrand(error, BRANDS.retryTimeout)) {
    return { source: 'library', isTimeout: true };
  }
  if (hasBrand(error, BRANDS.tokenProvider)) return { source: 'library', isCredentialError: true };
  if (hasBrand(error, BRANDS.circuitOpen)) return { source: 'library', isCircuitOpen: true };
  if (hasBrand(error, BRANDS.upstreamThrottled)) return { source: 'library', isUpstreamThrottled: true };
  return undefined;
}
