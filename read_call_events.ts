import { fastCallEvent } from "./_fast_call_event.ts";
import { parseCallEvent } from "./parse_call_event.ts";
import type { CallEvent } from "./types.ts";

/** Options of {@linkcode readCallEvents}. *
 * @example Collect the numbers of bad lines
 * ```ts
 * import { readCallEvents, type ReadCallEventsOptions } from "@calltrail/audit";
 *
 * const bad: number[] = [];
 * const options: ReadCallEventsOptions = {
 *   onInvalid: (lineNumber) => void bad.push(lineNumber),
 * };
 * const log = new Response("{}\n").body!;
 * for await (const event of readCallEvents(log, options)) {
 *   console.log(event.tool_id);
 * }
 * console.log(bad); // [1]
 * ```
 */
export interface ReadCallEventsOptions {
  /**
   * Hears each line that is not a valid event, with its number (from 1) and
   * the reason; the line is then skipped. A torn last line (no final `\n`,
   * and it does not parse) comes with an error whose `name` is
   * `"TornLineError"`. It must not throw (if it does, reading stops with
   * that error).
   */
  onInvalid?: (lineNumber: number, error: Error) => void;
  /**
   * When `true`, the first line that is not a valid event (a torn last line
   * included) throws instead of being skipped; `onInvalid` is not called.
   *
   * @default {false}
   */
  strict?: boolean;
  /**
   * The longest line, in UTF-8 bytes without its `\n`, that is read. A
   * longer line is skipped without being held in memory, and reported as
   * invalid.
   *
   * @default {16777216}
   */
  maxLineBytes?: number;
}

/**
 * Where {@linkcode readCallEvents} reads from: a byte stream (a file's, a
 * response body's), or any async iterable of bytes or of text.
 *
 * @example Three kinds of source
 * ```ts
 * import type { CallEventSource } from "@calltrail/audit";
 *
 * const fromStream: CallEventSource = new Response("").body!;
 * async function* lines() {
 *   yield "a line\n";
 * }
 * const fromText: CallEventSource = lines();
 * async function* chunks() {
 *   yield new TextEncoder().encode("a line\n");
 * }
 * const fromGenerator: CallEventSource = chunks();
 * ```
 */
export type CallEventSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>;

const NEWLINE = 10;
const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
/**
 * Whole lines are decoded this many bytes at a time: small texts stay in the
 * garbage collector's young generation, however large the source's chunks.
 */
const SLICE_BYTES = 64 * 1024;
const encoder = new TextEncoder();

/**
 * Reads an audit log as it streams, yielding one {@linkcode CallEvent} per
 * valid line: lines written by calltrail or atd-runtime, schema versions 1 to
 * 3. Memory stays constant whatever the log's size: one chunk of the source
 * and one partial line are held at a time.
 *
 * A line that is not a valid event (not UTF-8, not JSON, not an event, or
 * longer than `maxLineBytes`) is reported to `onInvalid` with its number and
 * skipped, or thrown with `strict: true`. When the source ends, a last line
 * without `\n` is an event if it parses; if it does not, it is a torn line,
 * as a process killed mid-write leaves it: `onInvalid` hears it with an error
 * whose `name` is `"TornLineError"`.
 *
 * Uses only Web APIs: it runs on Deno, Bun, Node, workerd and in browsers.
 *
 * @param source A `ReadableStream<Uint8Array>`, or an async iterable of
 * `Uint8Array` or string chunks. Chunks may split lines, and UTF-8
 * characters, anywhere.
 * @param options `onInvalid`, `strict`, `maxLineBytes`.
 * @returns An async iterable of the events, in the log's order. Leaving the
 * loop early cancels a stream source.
 * @throws {Error} With `strict: true`, on the first line that is not a valid
 * event; the message names the line number. Errors of the source itself
 * pass through.
 *
 * @example Count the outcomes of a log
 * ```ts
 * import { readCallEvents } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const log = [
 *   '{"ts":"2026-05-29T10:00:00.123Z","call_id":"01J000000000000000000000TEST","tool_id":"ref:echo.say","granted_capabilities":[],"duration_ms":17,"outcome":{"kind":"success"},"tier":"warm","dry_run":false,"schema_version":3,"secrets_resolved":false}',
 *   "not an event",
 *   '{"ts":"2026-05-29T10:00:01Z","call_id":"c2","tool_id":"ref:fs.read"',
 * ].join("\n");
 * const kinds: string[] = [];
 * const problems: string[] = [];
 * for await (
 *   const event of readCallEvents(new Response(log).body!, {
 *     onInvalid: (line, error) => void problems.push(`${line} ${error.name}`),
 *   })
 * ) {
 *   kinds.push(event.outcome.kind);
 * }
 * assert.deepEqual(kinds, ["success"]);
 * assert.deepEqual(problems, ["2 SyntaxError", "3 TornLineError"]);
 * ```
 *
 * @example Read a file strictly (Deno, Bun and Node)
 * ```ts
 * import { readCallEvents } from "@calltrail/audit";
 * import { createReadStream } from "node:fs";
 * import { writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 *
 * const path = `${tmpdir()}/calltrail-read-example.jsonl`;
 * await writeFile(path, "");
 * for await (const event of readCallEvents(createReadStream(path), { strict: true })) {
 *   console.log(event.tool_id);
 * }
 * ```
 */
export async function* readCallEvents(
  source: CallEventSource,
  options: ReadCallEventsOptions = {},
): AsyncGenerator<CallEvent, void, undefined> {
  const { onInvalid, strict = false } = options;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!(maxLineBytes >= 1)) {
    throw new RangeError(
      `calltrail: readCallEvents' maxLineBytes must be a number >= 1, not ${maxLineBytes}.`,
    );
  }
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let lineNumber = 0;
  /** The pieces of the line not yet ended by "\n", and their length. */
  let carry: Uint8Array[] = [];
  let carried = 0;
  /** The current line outgrew maxLineBytes: skip to its end. */
  let oversized = false;

  function invalid(error: Error): void {
    if (strict) {
      throw error.name === "TornLineError" ? error : new Error(
        `calltrail: line ${lineNumber} of the audit log is not a valid event: ${error.message}`,
        { cause: error },
      );
    }
    onInvalid?.(lineNumber, error);
  }

  /** Parses the text of one line: the event, or undefined if invalid. */
  function parse(text: string): CallEvent | undefined {
    lineNumber++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: parseCallEvent says why, below.
    }
    const event = fastCallEvent(value);
    if (event !== undefined) return event;
    try {
      return parseCallEvent(text);
    } catch (error) {
      invalid(error as Error);
      return undefined;
    }
  }

  /** Reads the bytes of one line (without its "\n"). */
  function one(bytes: Uint8Array): CallEvent | undefined {
    if (bytes.length > maxLineBytes) {
      lineNumber++;
      invalid(tooLong(maxLineBytes));
      return undefined;
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch (error) {
      lineNumber++;
      invalid(
        new TypeError(
          `calltrail: cannot read the audit line: it is not UTF-8 (${
            (error as Error).message
          }).`,
          { cause: error },
        ),
      );
      return undefined;
    }
    return parse(text);
  }

  /** Keeps the start of a line that goes on in the next chunk. */
  function hold(bytes: Uint8Array): void {
    if (oversized) return;
    carried += bytes.length;
    if (carried > maxLineBytes) {
      carry = [];
      carried = 0;
      oversized = true;
    } else {
      carry.push(bytes.slice());
    }
  }

  /** The held line, joined with `tail`, and forgotten. */
  function takeCarry(tail: Uint8Array): Uint8Array {
    const line = new Uint8Array(carried + tail.length);
    let at = 0;
    for (const piece of carry) {
      line.set(piece, at);
      at += piece.length;
    }
    line.set(tail, at);
    carry = [];
    carried = 0;
    return line;
  }

  for await (const chunk of chunks(source)) {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    let from = 0;
    if (carried > 0 || oversized) {
      const end = bytes.indexOf(NEWLINE);
      if (end === -1) {
        hold(bytes);
        continue;
      }
      from = end + 1;
      if (oversized) {
        oversized = false;
        lineNumber++;
        invalid(tooLong(maxLineBytes));
      } else {
        const event = one(takeCarry(bytes.subarray(0, end)));
        if (event !== undefined) yield event;
      }
    }
    const last = bytes.lastIndexOf(NEWLINE);
    // The whole lines of the chunk, a slice of about SLICE_BYTES at a time:
    // decoded at once when they may be (each slice's text stays small).
    while (from <= last) {
      let end = bytes.lastIndexOf(NEWLINE, Math.min(last, from + SLICE_BYTES));
      if (end < from) end = bytes.indexOf(NEWLINE, from + SLICE_BYTES);
      let text: string | undefined;
      if (end - from <= maxLineBytes) {
        try {
          text = decoder.decode(bytes.subarray(from, end));
        } catch {
          // Some line is not UTF-8: read them one by one below.
        }
      }
      if (text !== undefined) {
        for (const line of text.split("\n")) {
          const event = parse(line);
          if (event !== undefined) yield event;
        }
      } else {
        for (let at = from; at <= end;) {
          const next = bytes.indexOf(NEWLINE, at);
          const event = one(bytes.subarray(at, next));
          if (event !== undefined) yield event;
          at = next + 1;
        }
      }
      from = end + 1;
    }
    const rest = last + 1;
    if (rest < bytes.length) hold(bytes.subarray(rest));
  }

  if (oversized) {
    lineNumber++;
    invalid(tooLong(maxLineBytes));
  } else if (carried > 0) {
    // A last line without "\n": an event if it parses, else torn.
    const bytes = takeCarry(new Uint8Array(0));
    lineNumber++;
    let event: CallEvent | undefined;
    let reason: Error | undefined;
    try {
      event = parseCallEvent(decoder.decode(bytes));
    } catch (error) {
      reason = error as Error; // Not JSON, not an event, or cut inside a character.
    }
    if (event !== undefined) {
      yield event;
    } else {
      const torn = new Error(
        `calltrail: line ${lineNumber} is torn: the log ends without a newline and the line's ${bytes.length} bytes are not a whole event, as a process killed mid-write leaves it.`,
        { cause: reason },
      );
      torn.name = "TornLineError";
      invalid(torn);
    }
  }
}

function tooLong(maxLineBytes: number): RangeError {
  return new RangeError(
    `calltrail: the line is longer than maxLineBytes (${maxLineBytes} bytes), so it was skipped. Raise maxLineBytes to read it.`,
  );
}

/** The source's chunks; a stream is read with a reader, cancelled on exit. */
async function* chunks(
  source: CallEventSource,
): AsyncGenerator<Uint8Array | string> {
  if (!isStream(source)) {
    yield* source;
    return;
  }
  const reader = source.getReader();
  let done = false;
  try {
    while (true) {
      const result = await reader.read();
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function isStream(
  source: CallEventSource,
): source is ReadableStream<Uint8Array> {
  return typeof (source as { getReader?: unknown }).getReader === "function";
}
