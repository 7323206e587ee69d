/**
 * The path and query of a request target, parsed without ever throwing: `GET //:99999/`
 * once threw `TypeError: Invalid URL` out of the request handler and took the server (and
 * the test run around it) down.
 */

/** A request target split into what `RecordedRequest` keeps. */
export interface RequestTarget {
  /** The path without the query (dot segments resolved, as `URL` does). */
  path: string;
  /** The query parameters (the last value of a repeated name). */
  query: Record<string, string>;
}

/**
 * Origin form (`/v1/chat/completions?x=1`, also `//:99999/`, which is a path, not a host)
 * and absolute form (`http://host/v1/...`, what proxies send) give their path and query;
 * anything else (`*`, a bare word, an unparsable absolute URL) gives `undefined`.
 */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  let url: URL;
  try {
    if (target.startsWith('/')) url = new URL(`http://127.0.0.1${target}`);
    else if (/^https?:\/\//i.test(target)) url = new URL(target);
    else return undefined;
  } catch {
    return undefined;
  }
  return { path: url.pathname, query: Object.fromEntries(url.searchParams) };
}
