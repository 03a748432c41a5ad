/**
 * smol-toml gives no positions for keys, so this small scanner walks the (already valid) TOML text
 * once and records where every key, table header, array element and value starts, indexed by its
 * resolved path: `resource[0].template[1].mode`, `resource[0].backend.etcd.nodes[0]`. It follows
 * `[[array]]` headers (per-parent counters), dotted keys, inline tables and multi-line arrays.
 * It never throws: on anything unexpected it stops and keeps what it indexed so far.
 */

export type Segment = string | number;

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface KeyIndex {
  /** Position of the key (or header, or array element) at exactly this path. */
  find(path: readonly Segment[]): Position | undefined;
  /** Position of the path, or of its nearest recorded ancestor (e.g. the enclosing table header);
   *  the root path (the whole document) is line 1. */
  nearest(path: readonly Segment[]): Position | undefined;
  /** Raw source text of the value at this path (e.g. `0o644` vs `420`). */
  rawValue(path: readonly Segment[]): string | undefined;
}

const BARE = /^[A-Za-z0-9_-]+$/;

/** `['resource', 0, 'template', 1, 'mode']` → `resource[0].template[1].mode`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (BARE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

class Stop extends Error {}

class Scanner {
  private i = 0;
  private readonly keys = new Map<string, number>();
  private readonly values = new Map<string, [number, number]>();
  private readonly arrays = new Map<string, number>();

  constructor(private readonly s: string) {}

  run(): { keys: Map<string, number>; values: Map<string, [number, number]> } {
    try {
      this.document();
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
    }
    return { keys: this.keys, values: this.values };
  }

  private document(): void {
    let table: Segment[] = [];
    while (this.skipTrivia(true) < this.s.length) {
      const before = this.i;
      if (this.s[this.i] === '[') table = this.header();
      else this.keyValue(table);
      if (this.i <= before) throw new Stop();
    }
  }

  private record(path: readonly Segment[], at: number): void {
    const k = formatPath(path);
    if (!this.keys.has(k)) this.keys.set(k, at);
  }

  private header(): Segment[] {
    const start = this.i;
    const isArray = this.s.startsWith('[[', this.i);
    this.i += isArray ? 2 : 1;
    const segs = this.dottedKey().map((k) => k.name);
    this.skipWs();
    this.expect(isArray ? ']]' : ']');
    const concrete: Segment[] = [];
    segs.forEach((seg, n) => {
      concrete.push(seg);
      const key = formatPath(concrete);
      if (n === segs.length - 1 && isArray) {
        const idx = this.arrays.get(key) ?? 0;
        this.arrays.set(key, idx + 1);
        this.record(concrete, start);
        concrete.push(idx);
      } else {
        const count = this.arrays.get(key);
        if (count !== undefined) concrete.push(count - 1);
      }
      this.record(concrete, start);
    });
    return concrete;
  }

  private keyValue(table: readonly Segment[]): void {
    const path = [...table];
    for (const k of this.dottedKey()) {
      path.push(k.name);
      this.record(path, k.at);
    }
    this.skipWs();
    this.expect('=');
    this.skipWs();
    this.value(path);
  }

  private value(path: readonly Segment[]): void {
    const start = this.i;
    const s = this.s;
    if (s.startsWith('"""', this.i) || s.startsWith("'''", this.i)) this.multiline(s.slice(this.i, this.i + 3));
    else if (s[this.i] === '"') this.basicString();
    else if (s[this.i] === "'") this.literalString();
    else if (s[this.i] === '[') this.array(path);
    else if (s[this.i] === '{') this.inlineTable(path);
    else while (this.i < s.length && !',]}\r\n#'.includes(s[this.i])) this.i++;
    if (this.i === start) throw new Stop();
    this.values.set(formatPath(path), [start, this.i]);
  }

  private array(path: readonly Segment[]): void {
    this.i++;
    for (let idx = 0; ; idx++) {
      this.skipTrivia(true);
      if (this.s[this.i] === ']') break;
      const item = [...path, idx];
      this.record(item, this.i);
      this.value(item);
      this.skipTrivia(true);
      if (this.s[this.i] === ',') this.i++;
    }
    this.i++;
  }

  private inlineTable(path: readonly Segment[]): void {
    this.i++;
    for (;;) {
      this.skipTrivia(true);
      if (this.s[this.i] === '}') break;
      this.keyValue(path);
      this.skipTrivia(true);
      if (this.s[this.i] === ',') this.i++;
    }
    this.i++;
  }

  private dottedKey(): { name: string; at: number }[] {
    const out: { name: string; at: number }[] = [];
    for (;;) {
      this.skipWs();
      const at = this.i;
      out.push({ name: this.simpleKey(), at });
      this.skipWs();
      if (this.s[this.i] !== '.') return out;
      this.i++;
    }
  }

  private simpleKey(): string {
    const s = this.s;
    const start = this.i;
    if (s[this.i] === '"') {
      this.basicString();
      return unescapeBasic(s.slice(start + 1, this.i - 1));
    }
    if (s[this.i] === "'") {
      this.literalString();
      return s.slice(start + 1, this.i - 1);
    }
    while (this.i < s.length && /[A-Za-z0-9_-]/.test(s[this.i])) this.i++;
    if (this.i === start) throw new Stop();
    return s.slice(start, this.i);
  }

  private basicString(): void {
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"' && this.s[this.i] !== '\n') {
      this.i += this.s[this.i] === '\\' ? 2 : 1;
    }
    this.expect('"');
  }

  private literalString(): void {
    const end = this.s.indexOf("'", this.i + 1);
    if (end < 0) throw new Stop();
    this.i = end + 1;
  }

  private multiline(quote: string): void {
    this.i += 3;
    while (this.i < this.s.length && !this.s.startsWith(quote, this.i)) {
      this.i += quote === '"""' && this.s[this.i] === '\\' ? 2 : 1;
    }
    this.expect(quote);
    // Up to two quote characters may directly precede the closing delimiter.
    for (let n = 0; n < 2 && this.s[this.i] === quote[0]; n++) this.i++;
  }

  private expect(token: string): void {
    if (!this.s.startsWith(token, this.i)) throw new Stop();
    this.i += token.length;
  }

  private skipWs(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** Skip blanks, comments and (when allowed) newlines; returns the new offset. */
  private skipTrivia(newlines: boolean): number {
    const s = this.s;
    for (;;) {
      const c = s[this.i];
      if (c === ' ' || c === '\t') this.i++;
      else if (c === '#') while (this.i < s.length && s[this.i] !== '\n') this.i++;
      else if (newlines && (c === '\n' || c === '\r')) this.i++;
      else return this.i;
    }
  }
}

function unescapeBasic(body: string): string {
  try {
    return JSON.parse(`"${body.replace(/\\U([0-9A-Fa-f]{8})/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)).replace(/"/g, '\\"'))}"`) as string;
  } catch {
    return body;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function toPosition(starts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

/** Index every key of a TOML document by its resolved path. */
export function indexKeys(text: string): KeyIndex {
  const { keys, values } = new Scanner(text).run();
  const starts = lineStarts(text);
  const find = (path: readonly Segment[]): Position | undefined => {
    const at = keys.get(formatPath(path));
    return at === undefined ? undefined : toPosition(starts, at);
  };
  return {
    find,
    nearest(path) {
      for (let n = path.length; n > 0; n--) {
        const p = find(path.slice(0, n));
        if (p) return p;
      }
      // The whole document (e.g. an include_dir file, which is one resource): its first line.
      return path.length === 0 ? { line: 1, column: 1 } : undefined;
    },
    rawValue(path) {
      const span = values.get(formatPath(path));
      return span && text.slice(span[0], span[1]).trim();
    },
  };
}
