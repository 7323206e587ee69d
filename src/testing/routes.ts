/**
 * The endpoints the fault server answers, for OpenAI (`/v1/...`), Azure OpenAI's
 * deployment-scoped paths and `/openai/...` paths (what `AzureOpenAI` calls), and Azure's
 * newer `/openai/v1` API (what `new OpenAI({ baseURL: endpoint + '/openai/v1' })` calls).
 *
 * `AzureOpenAI` puts `/deployments/{deployment}` in front of chat completions and
 * embeddings (from its `deployment` option, else the body's `model`), not in front of
 * responses or models: those are `/openai/responses` and `/openai/models`.
 */

export type Provider = 'openai' | 'azure';

/**
 * Which API a request was for: `'chat'` (chat completions), `'responses'` (creating a
 * response), `'retrieve'` (`GET` of a stored response, also its replayed stream),
 * `'embeddings'` or `'models'` (the model list).
 */
export type FaultApi = 'chat' | 'responses' | 'retrieve' | 'embeddings' | 'models';

export interface Route {
  api: FaultApi;
  provider: Provider;
  /** The Azure deployment from the path (decoded). */
  deployment?: string;
  /** The response id of a `retrieve` (decoded). */
  responseId?: string;
}

/** `<prefix><api path>` with `<prefix>` one of these, and the provider it stands for. */
const PREFIXES: ReadonlyArray<[string, Provider]> = [
  ['/v1', 'openai'],
  ['/openai/v1', 'azure'],
  ['/openai', 'azure'],
];

const DEPLOYMENT = /^\/openai\/deployments\/([^/]+)(\/.*)$/;
const RESPONSE_ID = /^\/responses\/([^/]+)$/;

/** The route of a request, or `undefined` when nothing answers it (a 404). */
export function matchRoute(method: string, pathname: string): Route | undefined {
  const deployment = DEPLOYMENT.exec(pathname);
  if (deployment) {
    const api = deploymentApi(method, trimSlash(deployment[2]));
    return api && { api, provider: 'azure', deployment: decoded(deployment[1]) };
  }
  for (const [prefix, provider] of PREFIXES) {
    if (!pathname.startsWith(`${prefix}/`)) continue;
    const rest = trimSlash(pathname.slice(prefix.length));
    // `/openai/chat/completions` is no Azure path (AzureOpenAI always names a deployment).
    if (prefix === '/openai' && (rest === '/chat/completions' || rest === '/embeddings')) return undefined;
    const api = apiOf(method, rest);
    if (api) return { api, provider };
    const id = method === 'GET' ? RESPONSE_ID.exec(rest) : null;
    if (id) return { api: 'retrieve', provider, responseId: decoded(id[1]) };
    return undefined;
  }
  return undefined;
}

function apiOf(method: string, rest: string): FaultApi | undefined {
  if (method === 'GET') return rest === '/models' ? 'models' : undefined;
  if (method !== 'POST') return undefined;
  if (rest === '/chat/completions') return 'chat';
  if (rest === '/responses') return 'responses';
  if (rest === '/embeddings') return 'embeddings';
  return undefined;
}

function deploymentApi(method: string, rest: string): FaultApi | undefined {
  if (method !== 'POST') return undefined;
  if (rest === '/chat/completions') return 'chat';
  if (rest === '/embeddings') return 'embeddings';
  return undefined;
}

/** One trailing slash is tolerated (`/v1/chat/completions/`), as before. */
function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape: keep the raw segment rather than fail the request.
    return segment;
  }
}

/** Which provider a path looks like, for requests no route answers (recorded all the same). */
export function providerOfPath(pathname: string): Provider {
  return pathname.startsWith('/openai/') ? 'azure' : 'openai';
}
