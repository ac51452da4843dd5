// Internal: the stdout and stderr sinks. They write to the process's own
// stream and never close it.

import type { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { consoleTarget } from "./console.ts";
import { encodingWriter } from "./_encoding_writer.ts";
import { nativeSink, type NativeTarget } from "./_native_sink.ts";
import { denoApi, type NodeFs, nodeFs, runtime } from "../_runtime.ts";

const encoder = new TextEncoder();

/** How long, at exit, a full stdout or stderr pipe may hold the process. */
const EXIT_WRITE_LIMIT_MS = 5000;

/** A sink over the process's stdout or stderr. */
export function processStreamSink(
  name: "stdout" | "stderr",
  options: AuditSinkOptions,
): JsonLinesAuditSink {
  return nativeSink(processStreamTarget(name), options);
}

function processStreamTarget(name: "stdout" | "stderr"): NativeTarget {
  const deno = denoApi();
  if (deno !== undefined) {
    const stream = deno[name];
    const writeSync = encodingWriter((bytes, from, to) =>
      stream.writeSync(bytes.subarray(from, to))
    );
    return { write: writeSync, writeSync, close: () => {} };
  }
  const rt = runtime();
  const fs = rt === "node" || rt === "bun" ? nodeFs() : undefined;
  if (fs !== undefined) return descriptorTarget(fs, name);
  // No process streams (workerd, browsers): the console is the stream.
  return consoleTarget(
    name === "stdout"
      ? (line) => console.log(line)
      : (line) => console.error(line),
  );
}

/**
 * Node and Bun: writes straight to file descriptor 1 or 2, as pino does, and
 * not through `process.stdout`, whose queued bytes are lost when the process
 * exits. A pipe may be non-blocking: when it is full, the rest of the batch is
 * kept and tried again a millisecond later, so the event loop never blocks;
 * at exit, it is finished synchronously, waiting up to 5 s for the reader.
 */
function descriptorTarget(fs: NodeFs, name: "stdout" | "stderr"): NativeTarget {
  const fd = name === "stdout" ? 1 : 2;
  /** What is left of the batch being written. */
  let rest: Uint8Array | undefined;

  /** Writes what the descriptor takes now; returns what is left. */
  const writeAvailable = (bytes: Uint8Array): Uint8Array | undefined => {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += fs.writeSync(fd, bytes, done, bytes.length - done);
      } catch (error) {
        if ((error as { code?: unknown })?.code !== "EAGAIN") throw error;
        return bytes.subarray(done);
      }
    }
    return undefined;
  };

  let sleeper: Int32Array | undefined;
  const writeBlocking = (bytes: Uint8Array): void => {
    const deadline = Date.now() + EXIT_WRITE_LIMIT_MS;
    let left = writeAvailable(bytes);
    while (left !== undefined) {
      if (Date.now() > deadline) {
        throw new Error(
          `calltrail: ${name} took no data for ${EXIT_WRITE_LIMIT_MS} ms at exit; ${left.length} bytes of audit lines are lost.`,
        );
      }
      sleeper ??= new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(sleeper, 0, 0, 1);
      left = writeAvailable(left);
    }
  };

  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      rest = encoder.encode(text);
      const attempt = (): void => {
        if (rest === undefined) return resolve(); // finished at exit
        try {
          rest = writeAvailable(rest);
        } catch (error) {
          rest = undefined;
          return reject(error);
        }
        if (rest === undefined) resolve();
        else setTimeout(attempt, 1);
      };
      attempt();
    });

  const finishSync = (): void => {
    const left = rest;
    rest = undefined;
    if (left !== undefined) writeBlocking(left);
  };

  return {
    write,
    writeSync: (text) => writeBlocking(encoder.encode(text)),
    finishSync,
    // The stream stays open; a write still retrying stops (close() gave up).
    close: () => void (rest = undefined),
  };
}
