/**
 * Go `path.Match` semantics for key globs, one path segment at a time: `*` matches any run of
 * non-`/` characters, `?` one non-`/` character, `[a-z]`/`[^a-z]` a class, `\x` a literal `x`.
 * Splitting on `/` first lets the tree walk only the matching branches (no full scan).
 */

const META = /[*?[\\]/;

export function hasMeta(segment: string): boolean {
  return META.test(segment);
}

export type SegmentMatcher = (name: string) => boolean;

/** Compile one glob segment (no `/` inside) to a matcher. Throws on a malformed class, like Go's ErrBadPattern. */
export function compileSegment(segment: string): SegmentMatcher {
  if (!hasMeta(segment)) return (name) => name === segment;
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= segment.length) throw new Error(`syntax error in pattern: ${segment}`);
      re += escapeRe(segment[i]);
    } else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern: ${segment}`);
      let body = segment.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^/' : ''}${body.replace(/[\]\\^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += escapeRe(c);
  }
  const rx = new RegExp(`${re}$`, 'u');
  return (name) => rx.test(name);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
