// Internal: one OTLP/JSON log record per line (SPEC §5.2). The record's body
// is the line itself, byte for byte; its attributes follow OpenTelemetry's
// GenAI conventions (gen_ai.operation.name, gen_ai.tool.name,
// gen_ai.tool.call.id, error.type) and carry every other field but ts under
// calltrail.*. 64-bit integers are decimal strings, as OTLP/JSON writes them.
//
// A record is about four times its line, and one is made for every event:
// it is written as UTF-8 bytes, not through JSON.stringify of objects. Most
// of its attributes repeat from call to call (the tool, the caller, the
// capabilities, the outcome, the tier): their bytes are kept, keyed by the
// part of the line that holds them, so that a line seen again in all but
// its ts, call_id and duration_ms needs no parsing. Lines are canonical
// (serializeCallEvent wrote them): a key such as `,"duration_ms":` occurs
// once, since a quote inside a value is escaped.

import { jsonString } from "../_json_string.ts";
import type { CallEvent, CapProvenance } from "../types.ts";
import type { ByteWriter } from "./_byte_writer.ts";

/**
 * The bytes of a record that do not change from call to call, around its
 * variable parts: ts, the time it was accepted, the line, the call id and
 * the duration.
 */
interface Stable {
  /** After the accept time: the severity, and up to the body's value. */
  readonly beforeBody: Uint8Array;
  /** After the body: the attributes before the call id's value. */
  readonly beforeCallId: Uint8Array;
  /** Those between the call id's and the duration's values. */
  readonly beforeDuration: Uint8Array;
  /** Those after the duration's value, and the record's end. */
  readonly after: Uint8Array;
}

const encoder = new TextEncoder();
const TIME = encoder.encode('{"timeUnixNano":"');
const OBSERVED = encoder.encode('","observedTimeUnixNano":"');

/** How many kinds of lines the cache keeps before it starts again. */
const CACHE_SIZE = 4096;

const key = (name: string): string => '{"key":"' + name + '","value":';
const str = (name: string, value: string): string =>
  key(name) + '{"stringValue":' + jsonString(value) + "}},";
const int = (name: string, value: number): string =>
  key(name) + '{"intValue":"' + value + '"}},';
const bool = (name: string, value: boolean): string =>
  key(name) + '{"boolValue":' + value + "}},";

/** An array of strings, as an AnyValue's JSON text. */
function strings(values: readonly string[]): string {
  return '{"arrayValue":{"values":[' +
    values.map((v) => '{"stringValue":' + jsonString(v) + "}").join(",") +
    "]}}";
}

/** The provenance, as an AnyValue's JSON text. */
function provenanceValue(provenance: readonly CapProvenance[]): string {
  const entry = ({ cap, source }: CapProvenance): string => {
    const fields = [str("kind", source.kind)];
    if (source.kind === "ucan_chain") {
      fields.push(
        str("issuer_did", source.issuer_did),
        int("chain_depth", source.chain_depth),
      );
    }
    const sourceText = '{"kvlistValue":{"values":[' +
      fields.join("").slice(0, -1) + "]}}";
    return '{"kvlistValue":{"values":[' + str("cap", cap) + key("source") +
      sourceText + "}]}}";
  };
  return '{"arrayValue":{"values":[' + provenance.map(entry).join(",") + "]}}";
}

/** severityNumber and severityText of an outcome, as JSON text. */
function severity(kind: string): string {
  if (kind === "success") return '"severityNumber":9,"severityText":"INFO"';
  if (kind === "execution_failed") {
    return '"severityNumber":17,"severityText":"ERROR"';
  }
  return '"severityNumber":13,"severityText":"WARN"';
}

/** The bytes of `event`'s record that do not change from call to call. */
function stableOf(event: CallEvent): Stable {
  const { outcome } = event;
  let middle = "";
  if (outcome.kind !== "success") middle += str("error.type", outcome.kind);
  if (event.caller_id !== undefined) {
    middle += str("calltrail.caller_id", event.caller_id);
  }
  middle += key("calltrail.granted_capabilities") +
    strings(event.granted_capabilities) + "},";
  let after = str("calltrail.outcome.kind", outcome.kind);
  switch (outcome.kind) {
    case "invalid_args":
      after += str("calltrail.outcome.message", outcome.message);
      break;
    case "execution_failed":
      after += str("calltrail.outcome.code", outcome.code) +
        bool("calltrail.outcome.retryable", outcome.retryable);
      break;
    case "capability_denied":
      after += key("calltrail.outcome.missing") + strings(outcome.missing) +
        "},";
      break;
    case "rate_limited":
      if (outcome.retry_after_ms !== null) {
        after += int(
          "calltrail.outcome.retry_after_ms",
          outcome.retry_after_ms,
        );
      }
      break;
  }
  after += str("calltrail.tier", event.tier) +
    bool("calltrail.dry_run", event.dry_run) +
    int("calltrail.schema_version", event.schema_version);
  if (event.cursor_page !== undefined) {
    after += int("calltrail.cursor_page", event.cursor_page);
  }
  if (event.capability_provenance !== undefined) {
    after += key("calltrail.capability_provenance") +
      provenanceValue(event.capability_provenance) + "},";
  }
  // The last attribute has no comma after it; then the record ends.
  after += key("calltrail.secrets_resolved") + '{"boolValue":' +
    event.secrets_resolved + "}}]}";
  return {
    beforeBody: encoder.encode(
      '000000",' + severity(outcome.kind) +
        ',"eventName":"calltrail.tool_call","body":{"stringValue":',
    ),
    beforeCallId: encoder.encode(
      '},"attributes":[' + key("gen_ai.operation.name") +
        '{"stringValue":"execute_tool"}},' +
        str("gen_ai.tool.name", event.tool_id) +
        key("gen_ai.tool.call.id") + '{"stringValue":',
    ),
    beforeDuration: encoder.encode(
      "}}," + middle + key("calltrail.duration_ms") + '{"intValue":"',
    ),
    after: encoder.encode('"}},' + after),
  };
}

/**
 * `ts` (any RFC 3339 time) in nanoseconds since the epoch, as a decimal
 * string: its whole seconds from Date.parse, its fraction digit by digit.
 */
export function unixNano(ts: string): string {
  const fraction = /\.(\d+)/.exec(ts)?.[1] ?? "";
  const seconds = Math.floor(Date.parse(ts.replace(/\.\d+/, "")) / 1000);
  const nanos = (fraction + "000000000").slice(0, 9);
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

/** Writes the records of lines; it keeps what repeats between them. */
export class OtlpRecords {
  readonly #stable = new Map<string, Stable>();
  #lastTs = "";
  #lastNano: Uint8Array = new Uint8Array(0);

  /** The stable bytes of `line`, keyed by its stable part. */
  #stableOf(
    line: string,
    tool: number,
    duration: number,
    outcome: number,
  ): Stable {
    const cacheKey = line.slice(tool, duration) + line.slice(outcome);
    let stable = this.#stable.get(cacheKey);
    if (stable === undefined) {
      if (this.#stable.size >= CACHE_SIZE) this.#stable.clear();
      stable = stableOf(JSON.parse(line) as CallEvent);
      this.#stable.set(cacheKey, stable);
    }
    return stable;
  }

  /** Writes to `out` the JSON of the record of `line`, accepted at `acceptedAt` ms. */
  write(out: ByteWriter, line: string, acceptedAt: number): void {
    // The canonical line's variable parts: ts, call_id, duration_ms.
    const tsEnd = line.indexOf('"', 7);
    const tool = line.indexOf(',"tool_id":', tsEnd);
    const duration = line.indexOf(',"duration_ms":', tool);
    const outcome = line.indexOf(',"outcome":', duration);
    let stable: Stable | undefined;
    let callId: string;
    let ms: string;
    let ts: string;
    if (line.startsWith('{"ts":"') && tool > 0 && duration > 0 && outcome > 0) {
      stable = this.#stableOf(line, tool, duration, outcome);
      ts = line.slice(7, tsEnd);
      callId = line.slice(line.indexOf(":", tsEnd + 3) + 1, tool);
      ms = line.slice(duration + 15, outcome);
    } else {
      // Not a line serializeCallEvent wrote: read it in full.
      const event = JSON.parse(line) as CallEvent;
      stable = stableOf(event);
      ts = event.ts;
      callId = jsonString(event.call_id);
      ms = String(event.duration_ms);
    }
    if (ts !== this.#lastTs) {
      this.#lastNano = encoder.encode(unixNano(this.#lastTs = ts));
    }
    out.bytes(TIME);
    out.bytes(this.#lastNano);
    out.bytes(OBSERVED);
    out.text(String(acceptedAt));
    out.bytes(stable.beforeBody);
    out.jsonString(line);
    out.bytes(stable.beforeCallId);
    out.text(callId);
    out.bytes(stable.beforeDuration);
    out.text(ms);
    out.bytes(stable.after);
  }
}
