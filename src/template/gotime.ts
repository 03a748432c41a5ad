/**
 * What confd's `datetime` returns: a Go-like `time.Time` over an injected instant, so templates
 * written for confd (`datetime().Format("2006-01-02T15:04:05Z07:00")`) keep working. Local time
 * follows the process time zone, like Go's `time.Now()`; `.UTC()` switches to UTC.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Go layout tokens, longest first so `January` wins over `Jan`, `2006` over `2`. */
const TOKENS = [
  'January', 'Monday', '-07:00:00', 'Z07:00:00', '-070000', 'Z070000', '-07:00', 'Z07:00', '-0700', 'Z0700',
  '2006', '.000000000', '.999999999', '.000000', '.999999', '.000', '.999', '-07', 'Z07', 'Jan', 'Mon', 'MST',
  '002', '__2', '_2', '01', '02', '03', '04', '05', '06', '15', 'PM', 'pm', '1', '2', '3', '4', '5',
] as const;

const two = (n: number) => String(n).padStart(2, '0');

interface Parts {
  year: number; month: number; day: number; hour: number; minute: number; second: number;
  ms: number; weekday: number; yday: number; offsetMin: number; zone: string;
}

export class GoTime {
  readonly #date: Date;
  readonly #utc: boolean;

  constructor(date: Date, utc = false) {
    this.#date = new Date(date.getTime());
    this.#utc = utc;
  }

  UTC(): GoTime {
    return new GoTime(this.#date, true);
  }

  Local(): GoTime {
    return new GoTime(this.#date, false);
  }

  /** Unix seconds. */
  Unix(): number {
    return Math.floor(this.#date.getTime() / 1000);
  }

  UnixMilli(): number {
    return this.#date.getTime();
  }

  Year(): number {
    return this.#parts().year;
  }

  /** Format with a Go reference layout (`Mon Jan 2 15:04:05 MST 2006`). */
  Format(layout: string): string {
    const p = this.#parts();
    let out = '';
    let i = 0;
    outer: while (i < layout.length) {
      for (const tok of TOKENS) {
        if (layout.startsWith(tok, i)) {
          out += formatToken(tok, p);
          i += tok.length;
          continue outer;
        }
      }
      out += layout[i++];
    }
    return out;
  }

  /** Go's default `String()` layout. */
  String(): string {
    return this.Format('2006-01-02 15:04:05.999999999 -0700 MST');
  }

  toString(): string {
    return this.String();
  }

  toJSON(): string {
    return this.Format('2006-01-02T15:04:05.999999999Z07:00');
  }

  #parts(): Parts {
    const d = this.#date;
    const u = this.#utc;
    const year = u ? d.getUTCFullYear() : d.getFullYear();
    const month = u ? d.getUTCMonth() : d.getMonth();
    const day = u ? d.getUTCDate() : d.getDate();
    const start = u ? Date.UTC(year, 0, 1) : new Date(year, 0, 1).getTime();
    const today = u ? Date.UTC(year, month, day) : new Date(year, month, day).getTime();
    const offsetMin = u ? 0 : -d.getTimezoneOffset();
    return {
      year, month, day, offsetMin,
      hour: u ? d.getUTCHours() : d.getHours(),
      minute: u ? d.getUTCMinutes() : d.getMinutes(),
      second: u ? d.getUTCSeconds() : d.getSeconds(),
      ms: u ? d.getUTCMilliseconds() : d.getMilliseconds(),
      weekday: u ? d.getUTCDay() : d.getDay(),
      yday: Math.round((today - start) / 86_400_000) + 1,
      zone: u ? 'UTC' : zoneName(d),
    };
  }
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

function offset(min: number, colon: boolean, z: boolean, withSeconds: boolean, hoursOnly: boolean): string {
  if (z && min === 0) return 'Z';
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  const hh = two(Math.floor(a / 60));
  const mm = two(a % 60);
  if (hoursOnly) return sign + hh;
  const sep = colon ? ':' : '';
  return sign + hh + sep + mm + (withSeconds ? `${sep}00` : '');
}

function fraction(tok: string, ms: number): string {
  const digits = tok.length - 1;
  const full = (String(ms).padStart(3, '0') + '000000').slice(0, digits);
  if (tok[1] === '0') return `.${full}`;
  const trimmed = full.replace(/0+$/, '');
  return trimmed === '' ? '' : `.${trimmed}`;
}

function formatToken(tok: string, p: Parts): string {
  const h12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  switch (tok) {
    case 'January': return MONTHS[p.month];
    case 'Jan': return MONTHS[p.month].slice(0, 3);
    case 'Monday': return DAYS[p.weekday];
    case 'Mon': return DAYS[p.weekday].slice(0, 3);
    case '2006': return String(p.year).padStart(4, '0');
    case '06': return two(p.year % 100);
    case '01': return two(p.month + 1);
    case '1': return String(p.month + 1);
    case '02': return two(p.day);
    case '_2': return String(p.day).padStart(2, ' ');
    case '2': return String(p.day);
    case '002': return String(p.yday).padStart(3, '0');
    case '__2': return String(p.yday).padStart(3, ' ');
    case '15': return two(p.hour);
    case '03': return two(h12);
    case '3': return String(h12);
    case '04': return two(p.minute);
    case '4': return String(p.minute);
    case '05': return two(p.second);
    case '5': return String(p.second);
    case 'PM': return p.hour >= 12 ? 'PM' : 'AM';
    case 'pm': return p.hour >= 12 ? 'pm' : 'am';
    case 'MST': return p.zone;
    case '-07:00:00': case 'Z07:00:00': return offset(p.offsetMin, true, tok[0] === 'Z', true, false);
    case '-070000': case 'Z070000': return offset(p.offsetMin, false, tok[0] === 'Z', true, false);
    case '-07:00': case 'Z07:00': return offset(p.offsetMin, true, tok[0] === 'Z', false, false);
    case '-0700': case 'Z0700': return offset(p.offsetMin, false, tok[0] === 'Z', false, false);
    case '-07': case 'Z07': return offset(p.offsetMin, false, tok[0] === 'Z', false, true);
    default: return fraction(tok, p.ms);
  }
}
