// Internal: a JsonLinesAuditSink over a destination that this process owns
// (a file, stdout, stderr, the console). Its batches, whole lines of text,
// are written in order by `write`; when the process exits before `close()`,
// whatever is still queued is written synchronously by `writeSync`.

import { lineStream } from "../_line_destination.ts";
import { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { onExit } from "./_exit.ts";

/** How a native sink writes and closes its destination. */
export interface NativeTarget {
  /** Writes one batch of `count` whole lines; may be asynchronous. */
  write(text: string, count: number): void | Promise<void>;
  /** Writes one batch synchronously; used when the process exits. */
  writeSync(text: string, count: number): void;
  /**
   * At exit, before the queued batches: completes synchronously a `write`
   * still under way, for targets whose writes can be partial.
   */
  finishSync?(): void;
  /** Releases the destination. Must not throw. */
  close(): void;
}

/** Makes the sink, whose queue is drained at exit until it is closed. */
export function nativeSink(
  target: NativeTarget,
  options: AuditSinkOptions,
): JsonLinesAuditSink {
  return new JsonLinesAuditSink(nativeDestination(target), {
    ...options,
    preventClose: false,
  });
}

/**
 * The destination of a native sink, for the JsonLinesAuditSink constructor
 * (with `preventClose: false`): its queue is drained at exit until it is
 * closed.
 */
export function nativeDestination(
  target: NativeTarget,
): WritableStream<Uint8Array> {
  let cancelDrain = (): void => {};
  const release = (): void => {
    cancelDrain();
    target.close();
  };
  return lineStream({
    write: async (batch) => {
      try {
        await target.write(batch.text, batch.count);
      } catch (error) {
        release();
        throw error;
      }
    },
    close: release,
    release,
    abort: release,
    attach: (queue) => {
      cancelDrain = onExit(() =>
        queue.drainSync(target.writeSync, target.finishSync)
      );
    },
  });
}
