// Internal: monotonic ULIDs (https://github.com/ulid/spec) for call ids.
// 48 bits of milliseconds, then 80 random bits kept as two 40-bit halves.
// Within one millisecond (or when the clock steps back) the random part is
// incremented, so ids from one process sort in the order they were made.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const HALF = 2 ** 40;
const random = new Uint8Array(10);

/** Each 10-bit value as its two base32 digits. */
const PAIRS: readonly string[] = Array.from(
  { length: 1024 },
  (_, value) => ALPHABET[value >> 5] + ALPHABET[value & 31],
);

let lastMs = -1;
let hi = 0;
let lo = 0;
/** The time part of `lastMs`, encoded once per millisecond. */
let timePart = "";

/** Returns a new ULID, 26 Crockford base32 characters. */
export function ulid(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    timePart = encode(now, 10);
    crypto.getRandomValues(random);
    hi = ((random[0] * 256 + random[1]) * 256 + random[2]) * 65536 +
      random[3] * 256 + random[4];
    lo = ((random[5] * 256 + random[6]) * 256 + random[7]) * 65536 +
      random[8] * 256 + random[9];
  } else if (++lo === HALF) {
    lo = 0;
    if (++hi === HALF) {
      // 2^80 ids in one millisecond: borrow the next millisecond.
      hi = 0;
      timePart = encode(++lastMs, 10);
    }
  }
  return timePart + forty(hi) + forty(lo);
}

/** A 40-bit value as 8 base32 digits, most significant first. */
function forty(value: number): string {
  const top = Math.floor(value / 1048576); // the upper 20 bits
  const bottom = value - top * 1048576;
  return PAIRS[top >> 10] + PAIRS[top & 1023] + PAIRS[bottom >> 10] +
    PAIRS[bottom & 1023];
}

function encode(value: number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const digit = value % 32;
    out = ALPHABET[digit] + out;
    value = (value - digit) / 32;
  }
  return out;
}
