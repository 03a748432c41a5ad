/**
 * text/template's comparison functions with Go's rules: only basic kinds (bool, int, float,
 * string) compare; `eq a b c…` is true when `a` equals any of the others; int and float do not
 * mix (`incompatible types for comparison`); bools and non-basic values do not order.
 */
import { GoFloat, isKV, typeName } from './values.ts';

export class CompareError extends Error {}

type Kind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';

function kind(v: unknown): Kind {
  if (v === undefined || v === null) return 'nil';
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'string': return 'string';
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
  }
  if (v instanceof GoFloat) return 'float';
  return 'other';
}

const val = (v: unknown): unknown => (v instanceof GoFloat ? v.value : v);

function comparable(v: unknown): boolean {
  return !(Array.isArray(v) || typeof v === 'function' || (v !== null && typeof v === 'object' && !isKV(v)));
}

function eq1(a: unknown, b: unknown): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka !== kb) {
    if (ka !== 'nil' && kb !== 'nil') throw new CompareError('incompatible types for comparison');
    return false;
  }
  if (ka === 'nil') return true;
  if (ka !== 'other') return val(a) === val(b);
  if (!comparable(a) || !comparable(b)) {
    throw new CompareError(`non-comparable type ${typeName(comparable(a) ? b : a)}`);
  }
  if (isKV(a) && isKV(b)) return a.Key === b.Key && a.Value === b.Value;
  return a === b;
}

export function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new CompareError('missing argument for comparison');
  for (const b of rest) if (eq1(a, b)) return true;
  return false;
}

export function ne(a: unknown, b: unknown): boolean {
  return !eq(a, b);
}

export function lt(a: unknown, b: unknown): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === 'bool' || ka === 'nil' || ka === 'other' || kb === 'bool' || kb === 'nil' || kb === 'other') {
    throw new CompareError('invalid type for comparison');
  }
  if (ka !== kb) throw new CompareError('incompatible types for comparison');
  const x = val(a) as number | string;
  const y = val(b) as number | string;
  return x < y;
}

export const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);
export const gt = (a: unknown, b: unknown): boolean => !le(a, b);
export const ge = (a: unknown, b: unknown): boolean => !lt(a, b);
