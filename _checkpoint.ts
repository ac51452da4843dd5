// Internal: the format of a chain checkpoint, one line of the sidecar that a
// chained fileAuditSink keeps next to its log. The writer (sinks/_chain.ts)
// and the verifier (cli/_chain_check.ts) share it, so that what one writes
// the other reads. The README documents it.

/**
 * One checkpoint of a tamper-evident chain: one line of the sidecar file
 * (`<log>.chain`) that `fileAuditSink(path, { chain })` writes after each
 * batch it appends to the log. Keys are written in this order.
 *
 * @example A checkpoint as `onCheckpoint` hears it
 * ```ts
 * import type { ChainCheckpoint } from "@calltrail/audit";
 *
 * const checkpoint: ChainCheckpoint = {
 *   v: 1,
 *   seq: 0,
 *   start: 0,
 *   end: 312,
 *   lines: 1,
 *   sha256: "0f".repeat(32),
 *   prev: null,
 *   ts: "2026-05-29T10:00:00.123Z",
 * };
 * ```
 */
export interface ChainCheckpoint {
  /** The format's version: 1. */
  v: 1;
  /**
   * The checkpoint's number in its chain, from 0. A chain that goes on in a
   * new file (a rotation, a restart) goes on counting.
   */
  seq: number;
  /** The byte offset in the log of the batch's first byte. */
  start: number;
  /** The byte offset in the log just after the batch's last byte. */
  end: number;
  /** How many lines the batch holds. */
  lines: number;
  /** The SHA-256 of the log's bytes from `start` to `end`, in lowercase hex. */
  sha256: string;
  /**
   * The SHA-256, in lowercase hex, of the previous checkpoint's line as it
   * stands in its sidecar (without its `\n`), or `null` for the first
   * checkpoint of a chain.
   */
  prev: string | null;
  /** When the checkpoint was written, as `nowRfc3339()` writes it. */
  ts: string;
  /**
   * With a key only: the HMAC-SHA256, in lowercase hex, of the checkpoint's
   * line without its `mac` member (the same line, ending `"ts":"…"}`).
   */
  mac?: string;
}

/** The sidecar's path: the log's, with `.chain` added. */
export function sidecarPath(path: string | URL): string | URL {
  return typeof path === "string"
    ? `${path}.chain`
    : new URL(`${path.href}.chain`);
}

/** The checkpoint's line, without its `\n`; with `mac` when it has one. */
export function checkpointLine(checkpoint: ChainCheckpoint): string {
  const { v, seq, start, end, lines, sha256, prev, ts, mac } = checkpoint;
  const body =
    `{"v":${v},"seq":${seq},"start":${start},"end":${end},"lines":${lines},"sha256":"${sha256}","prev":${
      prev === null ? "null" : `"${prev}"`
    },"ts":${JSON.stringify(ts)}`;
  return mac === undefined ? `${body}}` : `${body},"mac":"${mac}"}`;
}

/** What a MAC covers: the line without its `mac` member. */
export function unsignedLine(checkpoint: ChainCheckpoint): string {
  return checkpointLine({ ...checkpoint, mac: undefined });
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Reads one sidecar line. A line is a checkpoint only if it is exactly what
 * the writer writes for its fields (the same keys, order and spelling), so
 * that no two lines mean the same checkpoint.
 */
export function parseCheckpoint(line: string): ChainCheckpoint | Error {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return new SyntaxError(
      `it is not JSON (${(error as Error).message})`,
    );
  }
  const c = value as Record<string, unknown>;
  if (typeof c !== "object" || c === null || Array.isArray(c)) {
    return new TypeError("it is not a JSON object");
  }
  const count = (key: string) =>
    Number.isSafeInteger(c[key]) && (c[key] as number) >= 0;
  const problem = c.v !== 1
    ? `"v" is ${JSON.stringify(c.v)}, not 1`
    : !count("seq")
    ? `"seq" is not an integer >= 0`
    : !count("start") || !count("end") ||
        (c.end as number) < (c.start as number)
    ? `"start" and "end" are not byte offsets with start <= end`
    : !count("lines")
    ? `"lines" is not an integer >= 0`
    : typeof c.sha256 !== "string" || !HEX64.test(c.sha256)
    ? `"sha256" is not 64 lowercase hex digits`
    : c.prev !== null && (typeof c.prev !== "string" || !HEX64.test(c.prev))
    ? `"prev" is neither null nor 64 lowercase hex digits`
    : typeof c.ts !== "string"
    ? `"ts" is not a string`
    : c.mac !== undefined && (typeof c.mac !== "string" || !HEX64.test(c.mac))
    ? `"mac" is not 64 lowercase hex digits`
    : undefined;
  if (problem !== undefined) return new TypeError(problem);
  const checkpoint = c as unknown as ChainCheckpoint;
  if (checkpointLine(checkpoint) !== line) {
    return new TypeError(
      "it is not written as the writer writes it (other keys, order or spacing)",
    );
  }
  return checkpoint;
}
