/**
 * `https://host/path` of `url`: no user info, path parameters (`;name=value`), query or
 * fragment (the form a URL takes in an upstream key, so that a credential in it never reaches
 * a key); a bare `/` path is dropped. Undefined when `url` does not parse.
 */
export function originAndPath(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.replace(/;[^/]*/g, '');
    return `${parsed.protocol}//${parsed.host}${path === '/' ? '' : path}`;
  } catch {
    return undefined;
  }
}
