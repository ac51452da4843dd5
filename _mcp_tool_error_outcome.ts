// Internal: the outcome of a `tools/call` that McpServer answered with an
// `isError` result. McpServer gives the same answer to an unknown or
// disabled tool, to arguments that fail the input schema and to a tool's
// own error; the tool as it stood when the request arrived, and the
// arguments checked again against its schema, tell which it was.

import { invalidArgsMessage } from "./_invalid_args_message.ts";
import type { RegisteredToolLike } from "./_mcp_tool_registry.ts";
import type { Outcome } from "./types.ts";

/** A tool's own error: it returned `isError: true`, or threw. */
export const TOOL_ERROR: Outcome = Object.freeze({
  kind: "execution_failed",
  code: "TOOL_ERROR",
  retryable: false,
});

/** No such tool, or the tool is disabled. */
export const TOOL_NOT_FOUND: Outcome = Object.freeze({
  kind: "tool_not_found",
});

/**
 * The outcome of an `isError` result. `tool` is what the registry held when
 * the request arrived: `null` for no such tool (or a disabled one),
 * `undefined` when there is no registry (a low-level `Server`).
 */
export function toolErrorOutcome(
  tool: RegisteredToolLike | null | undefined,
  args: unknown,
  maxElements: number | undefined,
): Outcome | Promise<Outcome> {
  if (tool === null) return TOOL_NOT_FOUND;
  if (tool === undefined) return TOOL_ERROR;
  if (
    maxElements !== undefined && elementCount(args, maxElements) > maxElements
  ) {
    return {
      kind: "invalid_args",
      message:
        `(arguments): too_big (more than ${maxElements} elements, the server's maxToolInputElements)`,
    };
  }
  const schema = tool.inputSchema;
  if (schema === undefined || schema === null) return TOOL_ERROR;
  try {
    // McpServer validates `arguments ?? {}` (SDK 1.2x: `arguments`).
    const issues = schemaIssues(schema, args ?? {});
    // Any thenable becomes a native promise: the tracker waits for those.
    return isPromise(issues)
      ? Promise.resolve(issues).then(outcomeOf, () => TOOL_ERROR)
      : outcomeOf(issues);
  } catch {
    return TOOL_ERROR;
  }
}

function outcomeOf(issues: readonly unknown[] | undefined): Outcome {
  return issues === undefined
    ? TOOL_ERROR
    : { kind: "invalid_args", message: invalidArgsMessage(issues) };
}

type Issues = readonly unknown[] | undefined;

/**
 * The issues of `value` against `schema`, `undefined` when it passes (or
 * when the schema cannot be run). Any Standard Schema (zod 3.24 and later,
 * zod 4), else zod's `safeParseAsync`.
 */
function schemaIssues(
  schema: unknown,
  value: unknown,
): Issues | Promise<Issues> {
  const standard = (schema as { "~standard"?: { validate?: unknown } })[
    "~standard"
  ];
  if (typeof standard?.validate === "function") {
    const result = standard.validate(value) as
      | { issues?: readonly unknown[] }
      | Promise<{ issues?: readonly unknown[] }>;
    return isPromise(result) ? result.then((r) => r.issues) : result.issues;
  }
  const { safeParseAsync } = schema as { safeParseAsync?: unknown };
  if (typeof safeParseAsync === "function") {
    return (safeParseAsync.call(schema, value) as Promise<
      { success: boolean; error?: { issues?: readonly unknown[] } }
    >).then((r) => (r.success ? undefined : r.error?.issues ?? []));
  }
  return undefined;
}

/** Array elements and object members in `value`, counted up to `max + 1`. */
function elementCount(value: unknown, max: number): number {
  let count = 0;
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    const children = Array.isArray(node)
      ? node
      : Object.keys(node).map((key) => (node as Record<string, unknown>)[key]);
    for (const child of children) {
      if (++count > max) return count;
      if (child !== null && typeof child === "object") stack.push(child);
    }
  }
  return count;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === "function";
}
