// Internal: the destination of the HTTP sinks. Each batch becomes one or
// more POST requests of at most maxBatchBytes (before compression), sent in
// order, one at a time (the batch queue may hand over several batches at
// once: settings.maxConcurrentRequests). A request that fails in a way worth repeating (a
// network error, a timeout, a status the format names) is tried again after
// a backoff with full jitter, or after what Retry-After asks, until
// retry.maxAttempts; a 413 splits the request in two; any other status fails
// that request's events (a BatchFailure), and the sink goes on.

import { errorMessage } from "../_error_message.ts";
import type {
  Batch,
  BatchFailure,
  DestinationHost,
  LineDestination,
} from "../_line_destination.ts";
import { ThrottledReport } from "../_throttled_report.ts";
import { backoffDelay, retryAfterDelay } from "./_http_retry.ts";
import type { HttpSettings } from "./_http_settings.ts";

/** How the lines of a batch are encoded for one kind of receiver. */
export interface HttpFormat {
  /** The request's content-type. */
  readonly contentType: string;
  /**
   * About how many bytes of body each character of lines makes: batches
   * are sealed at `maxBatchBytes / expansion` characters, so that most fit
   * in one request.
   */
  readonly expansion: number;
  /** Whether `body` needs the time each line was accepted. */
  readonly acceptTimes: boolean;
  /** Whether an answer with `status` (not 2xx, not 413) is worth retrying. */
  retryable(status: number): boolean;
  /** The body that carries lines[from, to) of `batch`, encoded. */
  body(
    batch: Batch,
    lines: readonly string[],
    from: number,
    to: number,
  ): Uint8Array<ArrayBuffer>;
  /**
   * What a 2xx answer says it refused (OTLP's partial success), if
   * anything. It reads the answer's body.
   */
  refused?(
    response: Response,
    count: number,
  ): Promise<BatchFailure | undefined>;
}

/** How many bytes of an error answer's body a report quotes. */
const QUOTED_BYTES = 200;

/** A request's body: lines[from, to) of a batch, encoded. */
interface Body {
  readonly lines: readonly string[];
  readonly from: number;
  readonly to: number;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/** What one request came to. */
type Sent =
  | { kind: "ok"; failure?: BatchFailure }
  | { kind: "too large" }
  | { kind: "failed"; failure: BatchFailure };

const decoder = new TextDecoder();

/** The destination of an HTTP sink, posting to `settings.url`. */
export function httpDestination(
  settings: HttpSettings,
  format: HttpFormat,
): LineDestination {
  return new HttpDestination(settings, format);
}

class HttpDestination implements LineDestination {
  readonly batchChars: number;
  readonly acceptTimes: boolean;
  readonly concurrency: number;
  /**
   * Lines are written when a batch is encoded, off the caller's path (in
   * prepare() or write()), so that onCall costs the checks and a copy.
   */
  readonly deferLines = true;
  readonly #settings: HttpSettings;
  readonly #format: HttpFormat;
  readonly #headers: Headers;
  /** Why the sink gave up on this destination, once it did. */
  #aborted: Error | undefined = undefined;
  /** End the requests and waits under way, when the sink gives up. */
  readonly #cancels = new Set<(reason: Error) => void>();
  #retries: ThrottledReport | undefined = undefined;
  /** Bodies encoded ahead, by prepare(), while earlier batches were sent. */
  readonly #bodies = new WeakMap<Batch, Body[]>();

  constructor(settings: HttpSettings, format: HttpFormat) {
    this.#settings = settings;
    this.#format = format;
    // Most lines are ASCII: a batch of this many characters fills about
    // one request (a tenth short of it: a batch is sealed once it passes
    // its size, by up to one line).
    this.batchChars = Math.max(
      1,
      Math.floor(settings.maxBatchBytes / format.expansion * 0.9),
    );
    this.acceptTimes = format.acceptTimes;
    this.concurrency = settings.maxConcurrentRequests;
    const headers = new Headers(settings.headers);
    headers.set("content-type", format.contentType);
    if (settings.gzip) headers.set("content-encoding", "gzip");
    this.#headers = headers;
  }

  attach(host: DestinationHost): void {
    this.#retries = new ThrottledReport(
      host.report,
      (count, _weight, last) =>
        new Error(
          `calltrail: ${count} requests to ${this.#settings.shown} failed and will be tried again, since the last report; the last: ${
            errorMessage(last)
          }`,
          { cause: last },
        ),
    );
  }

  prepare(batch: Batch): void {
    try {
      this.#bodies.set(batch, this.#bodiesOf(batch));
    } catch {
      // write() will try again, and fail there if it must.
    }
  }

  async write(batch: Batch): Promise<BatchFailure | undefined> {
    const bodies = this.#bodies.get(batch) ?? this.#bodiesOf(batch);
    this.#bodies.delete(batch);
    let failed = 0;
    let error: Error | undefined;
    for (const body of bodies) {
      const failure = await this.#sendBody(batch, body);
      if (failure !== undefined) {
        failed += failure.failed;
        error = failure.error;
      }
    }
    return error === undefined ? undefined : { failed, error };
  }

  close(): void {}

  release(): void {}

  abort(reason: Error): void {
    this.#aborted = reason;
    for (const cancel of this.#cancels) cancel(reason);
    this.#retries?.flush();
  }

  /** The request bodies of a batch: in halves until each fits. */
  #bodiesOf(batch: Batch): Body[] {
    const lines = batch.text.split("\n", batch.count);
    const bodies: Body[] = [];
    const cut = (from: number, to: number): void => {
      const bytes = this.#format.body(batch, lines, from, to);
      if (bytes.length <= this.#settings.maxBatchBytes || to - from === 1) {
        bodies.push({ lines, from, to, bytes });
      } else {
        const middle = from + Math.ceil((to - from) / 2);
        cut(from, middle);
        cut(middle, to);
      }
    };
    cut(0, lines.length);
    return bodies;
  }

  /** Sends one body; on 413, its two halves, down to single lines. */
  async #sendBody(batch: Batch, body: Body): Promise<BatchFailure | undefined> {
    const { lines, from, to } = body;
    const sent = await this.#post(body.bytes, to - from);
    if (sent.kind !== "too large") return sent.failure;
    if (to - from === 1) {
      return {
        failed: 1,
        error: new Error(
          `calltrail: ${this.#settings.shown} answered 413 (Payload Too Large) to a single event's line; it counts as failed. Raise the receiver's limit, or shorten the event's long fields.`,
        ),
      };
    }
    const middle = from + Math.ceil((to - from) / 2);
    let failed = 0;
    let error: Error | undefined;
    for (const [a, b] of [[from, middle], [middle, to]]) {
      const bytes = this.#format.body(batch, lines, a, b);
      const failure = await this.#sendBody(batch, {
        lines,
        from: a,
        to: b,
        bytes,
      });
      if (failure !== undefined) {
        failed += failure.failed;
        error = failure.error;
      }
    }
    return error === undefined ? undefined : { failed, error };
  }

  /** One request, tried until it succeeds, fails for good, or gives up. */
  async #post(bytes: Uint8Array<ArrayBuffer>, count: number): Promise<Sent> {
    const { maxAttempts, initialDelay, maxDelay } = this.#settings;
    const body = await this.#encode(bytes);
    for (let attempt = 1;; attempt++) {
      const outcome = await this.#attempt(body, count);
      if (outcome.kind !== "retry") return outcome;
      const { reason, retryAfter } = outcome;
      if (attempt >= maxAttempts) {
        return {
          kind: "failed",
          failure: {
            failed: count,
            error: new Error(
              `calltrail: gave up on a batch of ${count} events after ${attempt} attempts (retry.maxAttempts); they count as failed. The last: ${reason}`,
            ),
          },
        };
      }
      const delay = retryAfter ??
        backoffDelay(attempt, initialDelay, maxDelay);
      this.#retries?.add(
        new Error(
          `calltrail: a POST of ${count} events to ${this.#settings.shown} failed (${reason}); attempt ${
            attempt + 1
          }${
            maxAttempts === Infinity ? "" : ` of ${maxAttempts}`
          } in ${delay} ms${retryAfter === undefined ? "" : " (Retry-After)"}.`,
        ),
      );
      await this.#sleep(delay);
    }
  }

  /** One attempt: the request and the reading of its answer. */
  async #attempt(
    body: BodyInit,
    count: number,
  ): Promise<Sent | { kind: "retry"; reason: string; retryAfter?: number }> {
    const { url, fetch, requestTimeout, shown } = this.#settings;
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new Error(`no answer within requestTimeout (${requestTimeout} ms)`),
        ),
      requestTimeout,
    );
    const cancel = (reason: Error) => controller.abort(reason);
    this.#cancels.add(cancel);
    try {
      this.#stopIfAborted();
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: this.#headers,
          body,
          signal: controller.signal,
        });
      } catch (error) {
        this.#stopIfAborted();
        const why = controller.signal.aborted
          ? errorMessage(controller.signal.reason)
          : errorMessage(error);
        return { kind: "retry", reason: `network error: ${why}` };
      }
      const status = response.status;
      if (status >= 200 && status < 300) {
        const failure = await this.#format.refused?.(response, count);
        if (failure === undefined) {
          await response.body?.cancel().catch(() => {});
        }
        return { kind: "ok", failure };
      }
      const quoted = await firstBytes(response, QUOTED_BYTES);
      const answer = `HTTP ${status}${quoted === "" ? "" : `: ${quoted}`}`;
      if (status === 413) return { kind: "too large" };
      if (this.#format.retryable(status)) {
        return {
          kind: "retry",
          reason: answer,
          retryAfter: retryAfterDelay(response.headers.get("retry-after")),
        };
      }
      return {
        kind: "failed",
        failure: {
          failed: count,
          error: new Error(
            `calltrail: ${shown} refused a batch of ${count} events, which count as failed (${answer}).`,
          ),
        },
      };
    } finally {
      clearTimeout(timer);
      this.#cancels.delete(cancel);
    }
  }

  /** The body as sent: gzipped when asked. */
  async #encode(bytes: Uint8Array<ArrayBuffer>): Promise<BodyInit> {
    if (!this.#settings.gzip) return bytes;
    const gzipped = new Blob([bytes]).stream().pipeThrough(
      new CompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(gzipped).arrayBuffer());
  }

  /** Waits `ms`, or until the sink gives up. */
  #sleep(ms: number): Promise<void> {
    this.#stopIfAborted();
    return new Promise<void>((resolve, reject) => {
      const cancel = (reason: Error) => {
        clearTimeout(timer);
        this.#cancels.delete(cancel);
        reject(reason);
      };
      const timer = setTimeout(() => {
        this.#cancels.delete(cancel);
        resolve();
      }, ms);
      this.#cancels.add(cancel);
    });
  }

  /** Throws once the sink gave up on this destination. */
  #stopIfAborted(): void {
    if (this.#aborted !== undefined) throw this.#aborted;
  }
}

/** The first `limit` bytes of the answer's body, as text; the rest unread. */
async function firstBytes(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // The answer broke off: quote what came.
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return decoder.decode(all.subarray(0, limit)).trim();
}
