// Internal: the rotation of a file sink, as far as it is pure: its options,
// checked; when the live file must rotate; the rotated files' names, which
// sort by time; and which rotated files there are. The file operations are
// in sinks/_file_target.ts.

import { checkCount, optionError } from "../_sink_errors.ts";
import { describe } from "../_describe.ts";

/**
 * When a file sink rotates its file: `fileAuditSink(path, { rotate })`. The
 * live file keeps `path`; a rotated file is renamed to `<path>.<UTC time of
 * the rotation>`, such as `audit.jsonl.20261202T010000.123Z`, a name that
 * sorts by time. Give `maxBytes`, `interval`, or both.
 *
 * @example Rotate at 64 MiB or at midnight UTC, keep 30 rotated files
 * ```ts
 * import { fileAuditSink, type RotateOptions } from "@calltrail/audit";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const rotate: RotateOptions = {
 *   maxBytes: 64 * 1024 * 1024,
 *   interval: "daily",
 *   maxFiles: 30,
 * };
 * const dir = await mkdtemp(join(tmpdir(), "calltrail-"));
 * const sink = await fileAuditSink(join(dir, "audit.jsonl"), { rotate });
 * await sink.close();
 * ```
 */
export interface RotateOptions {
  /**
   * Rotates before a batch would take the live file past this many bytes
   * (bytes already in the file when it is opened count). A batch larger
   * than this goes into a file of its own. An integer >= 1.
   */
  maxBytes?: number;
  /**
   * Rotates at the first batch written after each UTC hour (`"hourly"`) or
   * day (`"daily"`) boundary. A file found with bytes written before the
   * current period is rotated at the first batch.
   */
  interval?: "hourly" | "daily";
  /**
   * How many rotated files to keep, the newest; older ones (and their chain
   * sidecars) are deleted at the rotation that makes them surplus. An
   * integer >= 1. Without it, every rotated file is kept.
   */
  maxFiles?: number;
  /**
   * The clock, in milliseconds since the epoch, that decides intervals and
   * names rotated files: for tests.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

/** The rotation's options, checked. */
export interface RotateSettings {
  readonly maxBytes: number;
  /** The interval's length in ms, or `Infinity` without one. */
  readonly period: number;
  readonly maxFiles: number;
  readonly now: () => number;
}

const HOUR = 3_600_000;
const PERIODS: Record<string, number> = { hourly: HOUR, daily: 24 * HOUR };

/**
 * Checks `rotate`.
 *
 * @throws {TypeError} When `rotate` is not an object, rotates on nothing,
 * or `now` is not a function.
 * @throws {RangeError} When a bound is not what it must be.
 */
export function rotateSettings(rotate: unknown): RotateSettings {
  if (typeof rotate !== "object" || rotate === null) {
    throw new TypeError(
      `calltrail: the rotate option must be an object such as { maxBytes: 64 * 1024 * 1024, maxFiles: 10 }, got ${
        describe(rotate)
      }. Leave it out not to rotate.`,
    );
  }
  const { maxBytes, interval, maxFiles, now } = rotate as RotateOptions;
  if (maxBytes === undefined && interval === undefined) {
    throw new TypeError(
      `calltrail: the rotate option needs maxBytes or interval (or both), or the file never rotates; got ${
        describe(rotate)
      }. Give one, or leave rotate out.`,
    );
  }
  if (maxBytes !== undefined) {
    checkCount(
      "rotate.maxBytes",
      maxBytes,
      "Give a size in bytes such as 67108864, or leave it out.",
    );
  }
  if (interval !== undefined && !Object.hasOwn(PERIODS, interval)) {
    throw optionError(
      "rotate.interval",
      `"hourly" or "daily"`,
      interval,
      "Leave it out to rotate by size only.",
    );
  }
  if (maxFiles !== undefined) {
    checkCount(
      "rotate.maxFiles",
      maxFiles,
      "Give a count such as 10, or leave it out.",
    );
  }
  if (now !== undefined && typeof now !== "function") {
    throw new TypeError(
      `calltrail: the rotate.now option must be a function returning milliseconds since the epoch, got ${
        describe(now)
      }. Leave it out to use Date.now.`,
    );
  }
  return {
    maxBytes: maxBytes ?? Infinity,
    period: interval === undefined ? Infinity : PERIODS[interval],
    maxFiles: maxFiles ?? Infinity,
    now: now ?? Date.now,
  };
}

/** The start of the period holding `ms` (UTC periods divide the epoch). */
export function periodStart(ms: number, period: number): number {
  return period === Infinity ? -Infinity : ms - (ms % period);
}

const STAMP = /^\d{8}T\d{6}\.\d{3}Z(-\d{6})?$/;

/** `ms` as the rotated name's stamp: `20261202T010000.123Z`. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "");
}

/**
 * The rotated name for a rotation at `ms`: `<path>.<stamp>`, or, when that
 * is taken or does not sort after `after` (the name of the rotation before,
 * also when that file has since been deleted), `<path>.<stamp>-000001` and
 * so on, still in time order. `ms` must not be before `after`'s time.
 */
export function rotatedPath(
  path: string | URL,
  ms: number,
  taken: (candidate: string | URL) => boolean,
  after = "",
): string | URL {
  const base = `.${stamp(ms)}`;
  for (let n = 0;; n++) {
    const suffix = n === 0 ? base : `${base}-${String(n).padStart(6, "0")}`;
    const candidate = typeof path === "string"
      ? `${path}${suffix}`
      : new URL(`${path.href}${suffix}`);
    if (String(candidate) > after && !taken(candidate)) return candidate;
  }
}

/** Where `path` is: its directory, as `readdirSync` takes it, and name. */
function split(path: string | URL): { dir: string | URL; name: string } {
  if (typeof path !== "string") {
    const segments = path.pathname.split("/");
    return {
      dir: new URL(".", path),
      name: decodeURIComponent(segments[segments.length - 1]),
    };
  }
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return {
    dir: cut === -1 ? "." : path.slice(0, cut + 1),
    name: path.slice(cut + 1),
  };
}

/**
 * The rotated files of `path` found in `names` (its directory's listing),
 * oldest first, as paths.
 */
export function rotatedFiles(
  path: string | URL,
  list: (dir: string | URL) => string[],
): (string | URL)[] {
  const { dir, name } = split(path);
  const prefix = `${name}.`;
  return list(dir)
    .filter((entry) =>
      entry.startsWith(prefix) && STAMP.test(entry.slice(prefix.length))
    )
    .sort()
    .map((entry) =>
      typeof path === "string"
        ? `${path}${entry.slice(name.length)}`
        : new URL(`${path.href}${entry.slice(name.length)}`)
    );
}
