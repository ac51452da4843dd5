/**
 * The schema version calltrail writes in every line (`schema_version`).
 * Readers accept versions 1 to 3, the versions of atd-runtime's audit log.
 *
 * @example The version calltrail writes
 * ```ts
 * import { SCHEMA_VERSION } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * assert(SCHEMA_VERSION === 3);
 * ```
 */
export const SCHEMA_VERSION = 3 as const;

/**
 * How many events a {@linkcode JsonLinesAuditSink} queues by default before
 * `onCall` starts to drop (or hand events to its `fallback`).
 *
 * @example The default capacity
 * ```ts
 * import { DEFAULT_AUDIT_QUEUE_CAPACITY } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * assert(DEFAULT_AUDIT_QUEUE_CAPACITY === 1024);
 * ```
 */
export const DEFAULT_AUDIT_QUEUE_CAPACITY = 1024 as const;
