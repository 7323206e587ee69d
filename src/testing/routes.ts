/**
 * The endpoints the fault server answers: OpenAI's chat completions, Azure OpenAI's
 * deployment-scoped one (what `AzureOpenAI` calls), and Azure's newer `/openai/v1` API
 * (what `new OpenAI({ baseURL: endpoint + '/openai/v1' })` calls).
 */

export type Provider = 'openai' | 'azure';

export interface ChatRoute {
  provider: Provider;
  /** The Azure deployment from the path (decoded). */
  deployment?: string;
}

const AZURE_DEPLOYMENT = /^\/openai\/deployments\/([^/]+)\/chat\/completions\/?$/;

/** The route of a request, or `undefined` when nothing answers it (a 404). */
export function matchChatRoute(method: string, pathname: string): ChatRoute | undefined {
  if (method !== 'POST') return undefined;
  if (pathname === '/v1/chat/completions' || pathname === '/v1/chat/completions/') return { provider: 'openai' };
  if (pathname === '/openai/v1/chat/completions') return { provider: 'azure' };
  const match = AZURE_DEPLOYMENT.exec(pathname);
  if (!match) return undefined;
  let deployment = match[1];
  try {
    deployment = decodeURIComponent(deployment);
  } catch {
    // A malformed escape: keep the raw segment rather than fail the request.
  }
  return { provider: 'azure', deployment };
}

/** Which provider a path looks like, for requests no route answers (recorded all the same). */
export function providerOfPath(pathname: string): Provider {
  return pathname.startsWith('/openai/') ? 'azure' : 'openai';
}
