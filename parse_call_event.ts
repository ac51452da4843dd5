import { errorMessage } from "./_error_message.ts";
import { CallEventSchema } from "./call_event_schema.ts";
import type { CallEvent } from "./types.ts";

/**
 * Reads one audit line (with or without its trailing newline) written by
 * calltrail or atd-runtime, schema versions 1 to 3.
 *
 * @param line One line of an audit log.
 * @returns The event, with only the wire-format keys; `secrets_resolved` is
 * `false` when the line lacks it.
 * @throws {SyntaxError} When the line is not JSON.
 * @throws {TypeError} When the JSON is not an audit event; the message names
 * the offending field, such as `"tool_id"` or `"outcome.kind"`.
 *
 * @example Read a line
 * ```ts
 * import { parseCallEvent } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const event = parseCallEvent(
 *   '{"ts":"2026-05-29T10:00:00.123Z","call_id":"01J000000000000000000000TEST","tool_id":"ref:echo.say","granted_capabilities":[],"duration_ms":17,"outcome":{"kind":"success"},"tier":"warm","dry_run":false,"schema_version":3,"secrets_resolved":false}',
 * );
 * assert(event.outcome.kind === "success");
 * ```
 */
export function parseCallEvent(line: string): CallEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new SyntaxError(
      `calltrail: cannot read the audit line: it is not JSON (${
        errorMessage(error)
      }). Line: ${preview(line)}`,
      { cause: error },
    );
  }
  const result = CallEventSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length === 0
    ? "(the whole line)"
    : issue.path.map((key, i) =>
      typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${String(key)}`
    ).join("");
  throw new TypeError(
    `calltrail: cannot read the audit line: field "${field}": ${issue.message}. Line: ${
      preview(line)
    }`,
    { cause: result.error },
  );
}

function preview(line: string): string {
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
