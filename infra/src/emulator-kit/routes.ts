// Route tables as data: a method and a path pattern per route; the first route whose pattern and
// method both match wins, and a path that matches with another method is told apart (405 vs 404).

export interface RoutePattern {
  method: string;
  pattern: RegExp;
}

export type RouteMatch<R> = { route: R; params: string[] } | { pathMatched: boolean };

/**
 * Finds the route for `method` and `path`. `params` are the pattern's capture groups,
 * URI-decoded (a malformed escape throws URIError, as decodeURIComponent does).
 */
export function matchRoute<R extends RoutePattern>(routes: readonly R[], method: string, path: string): RouteMatch<R> {
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: match.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return { pathMatched };
}
