// Internal: the one definition of an RFC 3339 time that both the writer
// (serializeCallEvent) and the reader (CallEventSchema) use, so a line the
// writer accepts always parses back.

/**
 * An RFC 3339 date-time: `T` (or `t`) between date and time, 0 to 9 fraction
 * digits, and `Z` (or `z`) or a `±HH:MM` offset. Month, day, hour, minute and
 * second are range-checked (a leap second, `:60`, is allowed).
 */
export const RFC3339_PATTERN: RegExp =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
