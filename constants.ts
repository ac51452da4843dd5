/**
 * The schema version calltrail writes in every line (`schema_version`).
 * Readers accept versions 1 to 3, the versions of atd-runtime's audit log.
 *
 * @example
 * ```ts
 * import { SCHEMA_VERSION } from "@calltrail/audit";
 *
 * console.assert(SCHEMA_VERSION === 3);
 * ```
 */
export const SCHEMA_VERSION = 3 as const;

/**
 * How many events a {@linkcode JsonLinesAuditSink} queues by default before
 * `onCall` starts to drop (or hand events to its `fallback`).
 *
 * @example
 * ```ts
 * import { DEFAULT_AUDIT_QUEUE_CAPACITY } from "@calltrail/audit";
 *
 * console.assert(DEFAULT_AUDIT_QUEUE_CAPACITY === 1024);
 * ```
 */
export const DEFAULT_AUDIT_QUEUE_CAPACITY = 1024 as const;
