/**
 * Template functions that turn untrusted values into HAProxy words, or refuse them with a reason
 * (recorded as a skip: listed on the status page, counted in `keyplate_skipped_items`, logged once).
 * A template that uses them reads as HAProxy, not as regular expressions:
 *
 *   {% for s in haproxyServers(gets("/services/web/*")) %}
 *       server {{ s.name }} {{ s.address }} id {{ s.id }}
 *   {% endfor %}
 *
 * See docs/template-functions.md "Validating values".
 */
import type { SkipRecorder } from './skips.ts';
import { base, str } from './strings.ts';

/** One HAProxy name (backend, service): a letter or digit first, then letters, digits, `_ . -`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** A DNS host name (lower case, `_` allowed inside labels as registries write them). */
const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?)*$/;
const IPV4_PORT = /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]):([0-9]{1,5})$/;
const IPV6_PORT = /^\[[0-9A-Fa-f:.]{2,45}\]:([0-9]{1,5})$/;
const ID_MODULUS = 1000003;

export interface HaproxyServerValue {
  /** The key it came from. */
  readonly key: string;
  /** The key's last segment made a valid server name (see `serverName`). */
  readonly name: string;
  /** `<IPv4>:<port>` or `[<IPv6>]:<port>`, as written. */
  readonly address: string;
  readonly port: number;
}

export interface HaproxyServerEntry extends HaproxyServerValue {
  /** Stable id: `stableId(name)`, the next free one on a collision in the same backend. */
  readonly id: number;
}

function describe(v: string): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/**
 * A stable server id for `name` (1 … 1000003): a hash, so a server keeps its id while it exists
 * whatever else comes and goes (the Runtime API can add it back with the same id).
 */
export function stableId(name: unknown): number {
  const s = str(name);
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % ID_MODULUS;
  return h + 1;
}

/** Any text as a server name: each character HAProxy does not allow becomes `_`, at most 100. */
export function serverName(text: unknown): string {
  return str(text).replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 100);
}

/** The value functions bound to one render's skip recorder. */
export function haproxyValueFunctions(skip: SkipRecorder) {
  /** `text` when it is one HAProxy name, else false (skip "bad name"). */
  const haproxyName = (text: unknown, item?: unknown): string | false => {
    const s = str(text);
    if (NAME.test(s)) return s;
    skip('bad name', str(item ?? s), `${describe(s)} is not one HAProxy name (a letter or digit, then letters, digits, _ . -; at most 100)`);
    return false;
  };
  /** `text` lower-cased when it is a DNS host name, else false (skip "bad host"). */
  const hostName = (text: unknown, item?: unknown): string | false => {
    const s = str(text).toLowerCase();
    if (HOST.test(s)) return s;
    skip('bad host', str(item ?? text), `${describe(str(text))} is not a DNS host name`);
    return false;
  };
  /** A registrator pair (key `…/<host:container:port[:udp]>`, value `<ip>:<port>`) as a server, else false. */
  const haproxyServer = (key: unknown, value?: unknown): HaproxyServerValue | false => {
    const pair = key !== null && typeof key === 'object' && 'Key' in key ? (key as { Key: unknown; Value: unknown }) : undefined;
    const k = str(pair ? pair.Key : key);
    const v = str(pair ? pair.Value : value);
    if (/:udp$/.test(k)) {
      skip('udp port', k, 'a UDP port is not an HTTP server');
      return false;
    }
    const m = IPV4_PORT.exec(v) ?? IPV6_PORT.exec(v);
    if (!m) {
      skip('bad address', k, `${describe(v)} is not <IPv4>:<port> or [<IPv6>]:<port>`);
      return false;
    }
    const port = Number(m[m.length - 1]);
    if (!(port >= 1 && port <= 65535)) {
      skip('bad port', k, `port ${m[m.length - 1]} is not 1-65535`);
      return false;
    }
    return { key: k, name: serverName(base(k)), address: v, port };
  };
  /**
   * The servers of one backend from registrator pairs: invalid ones skipped, names made unique
   * (`-2`, `-3` … on a clash after cleanup, in key order), ids stable and unique.
   */
  const haproxyServers = (pairs: unknown): HaproxyServerEntry[] => {
    // a backend has a handful of servers: arrays beat two Sets per call (30,000 backends a render)
    const names: string[] = [];
    const ids: number[] = [];
    const out: HaproxyServerEntry[] = [];
    for (const p of Array.isArray(pairs) ? pairs : []) {
      const s = haproxyServer(p);
      if (!s) continue;
      let name = s.name;
      for (let n = 2; n < 100 && names.includes(name); n++) name = `${s.name}-${n}`;
      if (names.includes(name)) {
        skip('name collision', s.key, `server name ${describe(s.name)} is taken 99 times in this backend`);
        continue;
      }
      let id = stableId(name);
      for (let n = 0; n < 100 && ids.includes(id); n++) id = (id % ID_MODULUS) + 1;
      names.push(name);
      ids.push(id);
      out.push({ key: s.key, name, address: s.address, port: s.port, id });
    }
    return out;
  };
  /** Record a skip by hand: `{{ skip("duplicate host", h.Key, "already maps to be_web") }}`; renders nothing. */
  const skipFn = (reason: unknown, item: unknown, detail?: unknown): string => {
    skip(str(reason), str(item), detail === undefined || detail === null ? undefined : str(detail));
    return '';
  };
  return { skip: skipFn, haproxyName, hostName, haproxyServer, haproxyServers, stableId, serverName };
}
