// Internal: where a sink's batches go. A JsonLinesAuditSink writes to a
// LineDestination; over a caller's WritableStream<Uint8Array> that is
// `encodingDestination`, and the sinks that own their destination (a file,
// stdio, the console, HTTP) make their own and hand it to the public
// constructor through `lineStream`: a real WritableStream that carries the
// destination, so that the sink writes batches to it directly.

import { describe } from "./_describe.ts";

/** Sealed lines on their way to the destination. */
export interface Batch {
  /** Whole lines, each ended by "\n". */
  readonly text: string;
  /** How many lines (events) `text` holds. */
  readonly count: number;
  /**
   * When each line was accepted (ms since the epoch), for a destination
   * that asked for them with `acceptTimes`.
   */
  readonly times?: readonly number[];
}

/**
 * What a destination says of a batch some of whose lines it could not
 * write, while it goes on taking batches (an HTTP receiver that refused one
 * request, say). A destination that fails for good throws instead.
 */
export interface BatchFailure {
  /** How many of the batch's events failed, from 0 to its `count`. */
  readonly failed: number;
  /** Why, for `onError`. */
  readonly error: Error;
}

/** What the sink that takes a destination offers it. */
export interface DestinationHost {
  /**
   * The exit drain of the sink's queue: writes synchronously, with `write`,
   * every accepted event not yet handed to the destination (each batch's
   * text and its number of lines), after `finish` completed a write under
   * way.
   */
  drainSync(
    write: (text: string, count: number) => void,
    finish?: () => void,
  ): void;
  /** Tells the sink's `onError`. */
  report(error: Error): void;
}

/** Where a sink's batches go. */
export interface LineDestination {
  /**
   * Writes one batch. Resolves (with nothing) when every line was written,
   * or with a {@linkcode BatchFailure} when some failed and the destination
   * goes on; throws or rejects when it failed for good.
   */
  write(batch: Batch): void | BatchFailure | Promise<void | BatchFailure>;
  /** Closes the destination once every batch is written. */
  close(): void | Promise<void>;
  /** Lets go of the destination without closing it (`preventClose`). */
  release(): void;
  /**
   * Gives up on a destination that stalled: a write under way is no longer
   * waited for. Must not throw.
   */
  abort(reason: Error): void;
  /**
   * Called on a microtask after a batch is sealed (never inside `onCall`),
   * so that the destination can encode it while earlier batches are still
   * being written. Must not throw.
   */
  prepare?(batch: Batch): void;
  /** Called once, by the sink that takes the destination. */
  attach?(host: DestinationHost): void;
  /** Seal batches once their text is this long (default 64 Ki chars). */
  readonly batchChars?: number;
  /**
   * How many batches it may write at once (default 1). Above 1, batches
   * start in order but may end in any order.
   */
  readonly concurrency?: number;
  /** Whether batches carry the time each line was accepted. */
  readonly acceptTimes?: boolean;
  /**
   * Whether the sink may queue a checked copy of each event and write its
   * line when the batch's `text` is first read, off the caller's path,
   * instead of serializing it in `onCall`.
   */
  readonly deferLines?: boolean;
}

const encoder = new TextEncoder();

/** The destinations that `lineStream` streams carry. */
const carried = new WeakMap<WritableStream<Uint8Array>, LineDestination>();

/**
 * A WritableStream<Uint8Array> over `destination`, for the public
 * constructor of JsonLinesAuditSink: a sink made over it writes its batches
 * to `destination` directly (see {@linkcode destinationOf}). Written to as a
 * plain stream, it decodes each chunk and writes it as a batch.
 */
export function lineStream(
  destination: LineDestination,
): WritableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      const text = decoder.decode(chunk, { stream: true });
      const count = text.split("\n").length - 1;
      const failure = await destination.write({ text, count });
      if (failure !== undefined && failure.failed > 0) throw failure.error;
    },
    close: () => destination.close(),
    abort: (reason) => destination.abort(reason),
  });
  carried.set(stream, destination);
  return stream;
}

/**
 * The destination a sink writes to: the one `stream` carries, or one that
 * encodes each batch as UTF-8 and writes it to `stream` as one chunk.
 *
 * @throws {TypeError} When `stream` is not an unlocked WritableStream.
 */
export function destinationOf(
  stream: WritableStream<Uint8Array>,
): LineDestination {
  return carried.get(stream) ?? encodingDestination(stream);
}

function encodingDestination(
  stream: WritableStream<Uint8Array>,
): LineDestination {
  if (typeof stream?.getWriter !== "function") {
    throw new TypeError(
      `calltrail: JsonLinesAuditSink needs a WritableStream<Uint8Array> destination, got ${
        describe(stream)
      }.`,
    );
  }
  if (stream.locked) {
    throw new TypeError(
      "calltrail: the destination WritableStream is locked by another writer; pass an unlocked stream, or release its writer first.",
    );
  }
  const writer = stream.getWriter();
  return {
    write: (batch) => writer.write(encoder.encode(batch.text)),
    close: () => writer.close(),
    release: () => writer.releaseLock(),
    abort: (reason) => void writer.abort(reason).catch(() => {}),
  };
}
