import * as z from "zod/mini";
import { en } from "zod/locales";
import { RFC3339_PATTERN } from "./_rfc3339.ts";
import type { CallEvent } from "./types.ts";

/** One problem found by {@linkcode CallEventSchema}. *
 * @example List what is wrong with an object
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CallEventIssue, CallEventSchema } from "@calltrail/audit";
 *
 * const result = CallEventSchema.safeParse({ ts: "now" });
 * const issues: readonly CallEventIssue[] = result.error?.issues ?? [];
 * assert.ok(issues.some((issue) => issue.path[0] === "ts"));
 * ```
 */
export interface CallEventIssue {
  /** Where the problem is, such as `["outcome", "kind"]`. */
  readonly path: readonly PropertyKey[];
  /** What is wrong there. */
  readonly message: string;
}

/** The result of {@linkcode CallEventSchemaType.safeParse}. *
 * @example Branch on success
 * ```ts
 * import {
 *   type CallEventParseResult,
 *   CallEventSchema,
 * } from "@calltrail/audit";
 *
 * const result: CallEventParseResult = CallEventSchema.safeParse(null);
 * if (!result.success) console.log(result.error.issues.length, "issues");
 * ```
 */
export type CallEventParseResult =
  | { success: true; data: CallEvent; error?: undefined }
  | {
    success: false;
    data?: undefined;
    error: { message: string; issues: readonly CallEventIssue[] };
  };

/**
 * What {@linkcode CallEventSchema} offers: zod's `parse` and `safeParse`, and
 * the Standard Schema interface (`~standard`), so validation libraries that
 * take a Standard Schema accept it. At run time it is a zod 4 schema built
 * with `zod/mini`; to compose it into your own zod schemas, cast it to zod's
 * core type: `CallEventSchema as unknown as z.core.$ZodType<CallEvent>`.
 * `parse` throws zod's core error (`z.core.$ZodError`).
 *
 * @example Use it as a Standard Schema
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CallEventSchemaType, CallEventSchema } from "@calltrail/audit";
 *
 * const schema: CallEventSchemaType = CallEventSchema;
 * const result = await schema["~standard"].validate({});
 * assert.ok(result.issues !== undefined);
 * ```
 */
export interface CallEventSchemaType {
  /**
   * Validates `value` as an audit event.
   *
   * @param value A parsed JSON value.
   * @returns The event, with only the wire-format keys.
   * @throws {Error} A zod error listing the issues, when `value` is not an
   * audit event.
   */
  parse(value: unknown): CallEvent;
  /**
   * Validates `value` without throwing.
   *
   * @param value A parsed JSON value.
   * @returns `{ success: true, data }` or `{ success: false, error }`.
   */
  safeParse(value: unknown): CallEventParseResult;
  /** The Standard Schema v1 interface (https://standardschema.dev). */
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardResult | Promise<StandardResult>;
  };
}

/** A Standard Schema v1 validation result. *
 * @example Read a Standard Schema result
 * ```ts
 * import { CallEventSchema, type StandardResult } from "@calltrail/audit";
 *
 * const result: StandardResult = await CallEventSchema["~standard"].validate({});
 * if (result.issues) console.log(result.issues.map((i) => i.message));
 * ```
 */
export type StandardResult =
  | { readonly value: CallEvent; readonly issues?: undefined }
  | {
    readonly issues: ReadonlyArray<{
      readonly message: string;
      readonly path?: ReadonlyArray<
        PropertyKey | { readonly key: PropertyKey }
      >;
    }>;
  };

/**
 * The zod schema of one parsed audit line. It accepts what atd-runtime and
 * calltrail write, schema versions 1 to 3: any RFC 3339 `ts` (`Z` or an
 * offset, 0 to 9 fraction digits), a missing `secrets_resolved` (read as
 * `false`), and unknown keys, which it strips. Its output is a
 * {@linkcode CallEvent} with only the wire-format keys. It accepts no `null`
 * for an optional key: the wire format leaves such keys out.
 *
 * Use {@linkcode parseCallEvent} to read a line; use the schema to validate
 * objects you already parsed.
 *
 * @example Validate a parsed object
 * ```ts
 * import { CallEventSchema } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const result = CallEventSchema.safeParse({
 *   ts: "2026-04-24T08:00:00+00:00",
 *   call_id: "01HZZ",
 *   tool_id: "ref:fs.read",
 *   granted_capabilities: ["fs.read"],
 *   duration_ms: 3,
 *   outcome: { kind: "invalid_args", message: "missing path" },
 *   tier: "cold",
 *   dry_run: false,
 *   schema_version: 1,
 * });
 * assert(result.success && result.data.secrets_resolved === false);
 * ```
 */
export const CallEventSchema: CallEventSchemaType = /* @__PURE__ */
  buildSchema();

/**
 * Built with `zod/mini`, whose functions a bundler keeps only when used, so
 * that the write path and an edge bundle do not carry all of zod; the call
 * above is marked pure, so a bundle that never reads the schema drops it.
 * The checks and their messages are those of `zod`: English by default, as
 * `zod` sets it (only when no locale is configured yet).
 */
function buildSchema() {
  if (z.config().localeError === undefined) z.config(en());
  const nonNegativeInt = () => z.int().check(z.minimum(0));
  const provSource = z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("string_allow_list") }),
    z.object({
      kind: z.literal("ucan_chain"),
      issuer_did: z.string(),
      chain_depth: z.int().check(z.minimum(0), z.maximum(255)),
    }),
  ]);
  const outcome = z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("success") }),
    z.object({ kind: z.literal("invalid_args"), message: z.string() }),
    z.object({
      kind: z.literal("execution_failed"),
      code: z.string(),
      retryable: z.boolean(),
    }),
    z.object({
      kind: z.literal("capability_denied"),
      missing: z.array(z.string()),
    }),
    z.object({
      kind: z.literal("rate_limited"),
      retry_after_ms: z.nullable(nonNegativeInt()),
    }),
    z.object({ kind: z.literal("tool_not_found") }),
  ]);
  return z.object({
    ts: z.string().check(z.regex(RFC3339_PATTERN, "must be an RFC 3339 time")),
    call_id: z.string().check(z.minLength(1)),
    tool_id: z.string(),
    caller_id: z.optional(z.string()),
    granted_capabilities: z.array(z.string()),
    duration_ms: nonNegativeInt(),
    outcome,
    tier: z.string().check(z.minLength(1)),
    dry_run: z.boolean(),
    schema_version: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    secrets_resolved: z._default(z.boolean(), false),
    cursor_page: z.optional(z.int().check(z.minimum(1))),
    capability_provenance: z.optional(
      z.array(z.object({ cap: z.string(), source: provSource })),
    ),
  });
}
