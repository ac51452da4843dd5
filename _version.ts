// Internal: the package's version, as package.json, deno.json and jsr.json
// give it (scripts/check_manifests.ts checks that they agree with it). The
// OTLP sink names its instrumentation scope with it.

/** The version of @calltrail/audit. */
export const VERSION = "0.1.0";
