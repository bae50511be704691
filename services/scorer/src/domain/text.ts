// Attacker-controlled strings (offense titles, user names, user agents) end up in the summary, in
// QRadar notes and later in an LLM prompt. They are reduced to an allowlist of plain characters,
// so they can carry no markup, no newlines, no control or bidi characters, and are truncated.

/** Never look at more than this many characters of an input, whatever its size. */
const INSPECT_LIMIT = 1024;
/** Letters, digits, spaces and punctuation that has no meaning in markdown, HTML or our quoting. */
const DISALLOWED = /[^\p{L}\p{N} .,:;@/+=%?'-]+/gu;
const SPACES = / {2,}/g;

/**
 * A single-line, markup-free rendering of `text`, at most `max` characters (an ellipsis marks a
 * cut). Everything outside the allowlist becomes a space; runs of spaces collapse.
 */
export function sanitizeText(text: string, max: number): string {
  const head = text.length > INSPECT_LIMIT ? text.slice(0, INSPECT_LIMIT) : text;
  const clean = head.replace(DISALLOWED, ' ').replace(SPACES, ' ').trim();
  if (clean.length <= max && head.length === text.length) return clean;
  if (clean.length <= max) return `${clean}…`;
  return `${clean.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** Team and person names from the CMDB or config: printable, single-line, bounded. */
export function sanitizeName(text: string, max = 100): string {
  const clean = sanitizeText(text, max);
  return clean === '' ? 'unknown' : clean;
}

/** A case-insensitive glob: `*` any run of characters, `?` exactly one; anchored at both ends. */
export interface Glob {
  readonly lowered: string;
}

export function compileGlob(pattern: string): Glob {
  return { lowered: pattern.toLowerCase().replace(/\*{2,}/g, '*') };
}

/**
 * Wildcard matching without regular expressions: the two-pointer algorithm that remembers only the
 * last `*`, O(pattern x text) in the worst case, so no pattern can backtrack exponentially.
 */
function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const ch = pattern.charCodeAt(p);
    if (p < pattern.length && (ch === 63 /* ? */ || ch === text.charCodeAt(t))) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && ch === 42 /* * */) {
      star = p;
      resume = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p += 1;
  return p === pattern.length;
}

/** Longer values never match a pattern: cutting them could forge a match (`*x` on a cut at `x`). */
export const MATCH_LIMIT = 256;

/** Whether `value` matches any of the compiled globs. */
export function matchesAny(globs: readonly Glob[], value: string): boolean {
  if (value.length > MATCH_LIMIT || globs.length === 0) return false;
  const lowered = value.toLowerCase();
  for (const glob of globs) if (globMatches(glob.lowered, lowered)) return true;
  return false;
}
