// Internal: a short, safe description of any value for error messages. It
// never throws and never calls user code (no toString, no getters).

const MAX = 40;

/** Describes `value` in a few words: its type and, for primitives, its value. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "string": {
      const shown = value.length > MAX ? `${value.slice(0, MAX)}…` : value;
      return `the string ${JSON.stringify(shown)}`;
    }
    case "number":
    case "boolean":
      return String(value);
    case "bigint":
      return `the BigInt ${value}n`;
    case "undefined":
      return "undefined (the key is missing)";
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      if (value === null) return "null";
      try {
        return Array.isArray(value) ? "an array" : "an object";
      } catch {
        return "a revoked proxy";
      }
  }
}
