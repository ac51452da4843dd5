// Internal: the message of an `invalid_args` outcome, from the issues of a
// schema's validation (zod 3 and 4, or any Standard Schema). It names each
// failing path and rule and never echoes a value: only issue codes and the
// schema's own bounds and formats reach it, never an issue's `message`,
// `received` or `input`, which may quote the arguments.

/** Issues named in full; the rest are counted. */
const MAX_ISSUES = 10;
/** The longest path segment kept (keys of a record come from the caller). */
const MAX_SEGMENT = 64;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `issues` as one line: `path: rule (detail); ...`. */
export function invalidArgsMessage(issues: readonly unknown[]): string {
  if (issues.length === 0) return "the arguments failed the input schema";
  const parts: string[] = [];
  for (const issue of issues.slice(0, MAX_ISSUES)) {
    parts.push(describeIssue(issue));
  }
  if (issues.length > MAX_ISSUES) {
    parts.push(`and ${issues.length - MAX_ISSUES} more`);
  }
  return parts.join("; ");
}

function describeIssue(issue: unknown): string {
  if (typeof issue !== "object" || issue === null) {
    return "(arguments): invalid";
  }
  const { path, code } = issue as { path?: unknown; code?: unknown };
  const rule = typeof code === "string" ? code : "invalid";
  const detail = ruleDetail(issue as Record<string, unknown>, rule);
  return `${pathOf(path)}: ${rule}${detail === "" ? "" : ` (${detail})`}`;
}

/** The schema's side of the rule: what was expected, never what was given. */
function ruleDetail(issue: Record<string, unknown>, rule: string): string {
  switch (rule) {
    case "invalid_type":
      return word("expected", issue.expected);
    case "too_small":
      return bound("minimum", issue.minimum);
    case "too_big":
      return bound("maximum", issue.maximum);
    case "invalid_string": // zod 3
      return word("validation", issue.validation);
    case "invalid_format": // zod 4
      return word("format", issue.format);
    case "not_multiple_of":
      return bound("multiple of", issue.multipleOf ?? issue.divisor);
    default:
      return "";
  }
}

function word(label: string, value: unknown): string {
  return typeof value === "string" && IDENTIFIER.test(value)
    ? `${label} ${value}`
    : "";
}

function bound(label: string, value: unknown): string {
  return typeof value === "number" || typeof value === "bigint"
    ? `${label} ${value}`
    : "";
}

/** `a.b[0]["odd key"]`; `(arguments)` for the arguments as a whole. */
function pathOf(path: unknown): string {
  if (!Array.isArray(path) || path.length === 0) return "(arguments)";
  let text = "";
  for (const item of path) {
    // Standard Schema allows { key } objects as segments.
    const key = typeof item === "object" && item !== null && "key" in item
      ? (item as { key: unknown }).key
      : item;
    if (typeof key === "number") {
      text += `[${key}]`;
    } else {
      const name = typeof key === "string" ? key : String(typeof key);
      const short = name.length > MAX_SEGMENT
        ? `${name.slice(0, MAX_SEGMENT)}…`
        : name;
      text += IDENTIFIER.test(short)
        ? (text === "" ? short : `.${short}`)
        : `[${JSON.stringify(short)}]`;
    }
  }
  return text;
}
