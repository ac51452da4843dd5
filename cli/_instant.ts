// Internal: RFC 3339 times compared as instants, whatever their offset and
// number of fraction digits (atd-runtime writes `+00:00` and nanoseconds).

const PARTS =
  /^(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$/;

/** Milliseconds since the epoch, and the nanoseconds below them. */
export function instant(ts: string): [ms: number, ns: number] {
  const parts = PARTS.exec(ts);
  if (parts === null) return [NaN, 0];
  const [, date, time, fraction = "", offset] = parts;
  let ms = Date.parse(`${date}T${time}Z`);
  if (offset !== "Z" && offset !== "z") {
    const sign = offset[0] === "-" ? -1 : 1;
    ms -= sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4))) *
      60_000;
  }
  const digits = fraction.padEnd(9, "0");
  return [ms + Number(digits.slice(0, 3)), Number(digits.slice(3))];
}

/**
 * Negative, zero or positive as `a` is before, at or after `b`. Two UTC times
 * of the same form (the common case) are compared as strings.
 */
export function compareInstants(a: string, b: string): number {
  if (
    a.length === b.length && a.charCodeAt(a.length - 1) === 90 /* Z */ &&
    b.charCodeAt(b.length - 1) === 90
  ) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const [am, an] = instant(a);
  const [bm, bn] = instant(b);
  return am - bm || an - bn;
}
