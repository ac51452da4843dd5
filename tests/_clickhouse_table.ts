// The ClickHouse table for calltrail's lines (SPEC §1), the URL a sink POSTs
// them to, and the way back: rows read as CallEvents.
//
// What ClickHouse 18.16 (Debian bookworm) can and cannot take:
// - No DateTime64: `ts` is kept as the String of the line (exact), with two
//   MATERIALIZED columns computed from it on insert: `time`, a
//   DateTime('UTC') (whole seconds, any RFC 3339 offset through
//   parseDateTimeBestEffort), and `time_ms`, the milliseconds within that
//   second (the fraction's first three digits). They are not in `SELECT *`.
// - No Bool: booleans are UInt8 (JSON true/false are accepted on insert).
// - `outcome` arrives as an object: input_format_import_nested_json=1 maps
//   its keys to the columns `outcome.kind`, `outcome.message`, ... A key the
//   outcome lacks takes the column type's default (NULL for the Nullable
//   ones, [] for the arrays); 18.16 has no input_format_defaults_for_omitted_
//   fields (it answers 404 "Unknown setting"), so DEFAULT expressions are not
//   applied to keys left out of a JSON row.
// - `capability_provenance`, an array of objects, fits no column type of
//   18.16's JSONEachRow: a String or Array(String) column answers 400
//   "Cannot parse JSON string: expected opening quote", a Nested column 500
//   "expected {". It is not stored: the insert URL sets
//   input_format_skip_unknown_fields=1 so that ClickHouse drops it (and any
//   key a later schema adds); without that setting a line carrying it fails
//   its whole batch with 500 "Unknown field found while parsing JSONEachRow
//   format: capability_provenance".
// - A lone UTF-16 surrogate (`\ud800`, which calltrail writes as an escape)
//   fails the whole batch with 400 "Cannot parse escape sequence: missing
//   second part of surrogate pair".

import { type CallEvent, parseCallEvent } from "../mod.ts";
import type { ClickHouse } from "./_clickhouse.ts";

/** The table the tests use. */
export const CALLTRAIL_TABLE = "calltrail";

/** The DDL of calltrail's table on ClickHouse 18.16 and later. */
export function calltrailTableDdl(table: string = CALLTRAIL_TABLE): string {
  return `CREATE TABLE ${table}
(
    ts String,
    call_id String,
    tool_id String,
    caller_id Nullable(String),
    granted_capabilities Array(String),
    duration_ms UInt64,
    \`outcome.kind\` String,
    \`outcome.message\` Nullable(String),
    \`outcome.code\` Nullable(String),
    \`outcome.retryable\` Nullable(UInt8),
    \`outcome.missing\` Array(String),
    \`outcome.retry_after_ms\` Nullable(UInt64),
    tier String,
    dry_run UInt8,
    schema_version UInt8,
    secrets_resolved UInt8,
    cursor_page Nullable(UInt64),
    time DateTime('UTC') MATERIALIZED parseDateTimeBestEffort(ts),
    time_ms UInt16 MATERIALIZED toUInt16(substring(concat(extract(ts, '[.]([0-9]+)'), '000'), 1, 3))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (time, call_id)`;
}

/** The settings of an insert of calltrail lines, as URL parameters. */
export const INSERT_SETTINGS: Readonly<Record<string, string>> = {
  input_format_import_nested_json: "1",
  input_format_skip_unknown_fields: "1",
};

/**
 * The URL to POST calltrail lines to (`INSERT INTO table FORMAT
 * JSONEachRow`), with {@linkcode INSERT_SETTINGS} unless `settings` replaces
 * them.
 */
export function insertUrl(
  base: string,
  table: string = CALLTRAIL_TABLE,
  settings: Readonly<Record<string, string>> = INSERT_SETTINGS,
): string {
  const params = new URLSearchParams({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    ...settings,
  });
  return `${base}/?${params}`;
}

/** The columns read back, in the order of the line's keys. */
const COLUMNS = [
  "ts",
  "call_id",
  "tool_id",
  "caller_id",
  "granted_capabilities",
  "duration_ms",
  "`outcome.kind`",
  "`outcome.message`",
  "`outcome.code`",
  "`outcome.retryable`",
  "`outcome.missing`",
  "`outcome.retry_after_ms`",
  "tier",
  "dry_run",
  "schema_version",
  "secrets_resolved",
  "cursor_page",
];

/**
 * A row of the table as FORMAT JSONEachRow writes it: UInt64 values are
 * strings (output_format_json_quote_64bit_integers is 1 by default, and a
 * SETTINGS clause does not change the output format on 18.16).
 */
interface Row {
  ts: string;
  call_id: string;
  tool_id: string;
  caller_id: string | null;
  granted_capabilities: string[];
  duration_ms: string;
  "outcome.kind": string;
  "outcome.message": string | null;
  "outcome.code": string | null;
  "outcome.retryable": number | null;
  "outcome.missing": string[];
  "outcome.retry_after_ms": string | null;
  tier: string;
  dry_run: number;
  schema_version: number;
  secrets_resolved: number;
  cursor_page: string | null;
}

/** A UInt64 of a row as a number (calltrail's integers are safe ones). */
function uint64(value: string): number {
  return Number(value);
}

/** The outcome of `row`: the keys its kind has, and only those. */
function outcomeOf(row: Row): Record<string, unknown> {
  const kind = row["outcome.kind"];
  switch (kind) {
    case "invalid_args":
      return { kind, message: row["outcome.message"] };
    case "execution_failed":
      return {
        kind,
        code: row["outcome.code"],
        retryable: row["outcome.retryable"] === null
          ? null
          : row["outcome.retryable"] === 1,
      };
    case "capability_denied":
      return { kind, missing: row["outcome.missing"] };
    case "rate_limited":
      return {
        kind,
        retry_after_ms: row["outcome.retry_after_ms"] === null
          ? null
          : uint64(row["outcome.retry_after_ms"]),
      };
    default:
      return { kind };
  }
}

/**
 * The event a row holds, checked by parseCallEvent (a row that cannot be an
 * event, such as an invalid_args without message, throws and names the
 * field). `capability_provenance` is never there: the table does not keep it.
 */
function rowToEvent(row: Row): CallEvent {
  const event: Record<string, unknown> = {
    ts: row.ts,
    call_id: row.call_id,
    tool_id: row.tool_id,
  };
  if (row.caller_id !== null) event.caller_id = row.caller_id;
  event.granted_capabilities = row.granted_capabilities;
  event.duration_ms = uint64(row.duration_ms);
  event.outcome = outcomeOf(row);
  event.tier = row.tier;
  event.dry_run = row.dry_run === 1;
  event.schema_version = row.schema_version;
  event.secrets_resolved = row.secrets_resolved === 1;
  if (row.cursor_page !== null) event.cursor_page = uint64(row.cursor_page);
  return parseCallEvent(JSON.stringify(event));
}

/**
 * Every row of `table` as a CallEvent, duplicates included, ordered by time
 * then call_id (ClickHouse keeps no insertion order).
 */
export async function queryEvents(
  clickHouse: ClickHouse,
  table: string = CALLTRAIL_TABLE,
): Promise<CallEvent[]> {
  const text = await clickHouse.query(
    `SELECT ${COLUMNS.join(", ")} FROM ${table}` +
      " ORDER BY time, time_ms, call_id FORMAT JSONEachRow",
  );
  return text.split("\n").filter((line) => line !== "").map((line) =>
    rowToEvent(JSON.parse(line))
  );
}

/**
 * What the table keeps of `event`: all but `capability_provenance`. Compare
 * {@linkcode queryEvents} with this.
 */
export function storedPart(event: CallEvent): CallEvent {
  const { capability_provenance: _, ...stored } = event;
  return stored;
}
