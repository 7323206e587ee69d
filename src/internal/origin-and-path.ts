/**
 * `https://host/path` of `url`: no user info, query or fragment (the form a URL takes in an
 * upstream key, so that a credential in it never reaches a key); a bare `/` path is dropped.
 * Undefined when `url` does not parse.
 */
export function originAndPath(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return undefined;
  }
}
