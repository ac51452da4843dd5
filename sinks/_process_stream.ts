// Internal: the stdout and stderr sinks. They write to the process's own
// stream and never close it.

import type {
  AuditSinkOptions,
  JsonLinesAuditSink,
} from "../json_lines_audit_sink.ts";
import { consoleTarget } from "./console.ts";
import { nativeSink, type NativeTarget } from "./_native_sink.ts";
import { nodeProcess, runtime } from "./_runtime.ts";

/** A sink over the process's stdout or stderr. */
export function processStreamSink(
  name: "stdout" | "stderr",
  options: AuditSinkOptions,
): JsonLinesAuditSink {
  return nativeSink(processStreamTarget(name), options);
}

function processStreamTarget(name: "stdout" | "stderr"): NativeTarget {
  const close = (): void => {}; // never close the process's own stream
  if (runtime() === "deno") {
    const stream = Deno[name];
    const writeSync = (bytes: Uint8Array): void => {
      let done = 0;
      while (done < bytes.length) {
        done += stream.writeSync(bytes.subarray(done));
      }
    };
    return { write: writeSync, writeSync, close };
  }
  const stream = nodeProcess()?.[name];
  if (stream !== undefined) {
    return {
      write: (bytes) =>
        new Promise<void>((resolve, reject) =>
          void stream.write(bytes, (error) => error ? reject(error) : resolve())
        ),
      // Node and Bun write to files, pipes and terminals synchronously on
      // POSIX, so a plain write completes before the process exits.
      writeSync: (bytes) => void stream.write(bytes),
      close,
    };
  }
  // No process streams (workerd, browsers): the console is the stream.
  return consoleTarget(
    name === "stdout"
      ? (line) => console.log(line)
      : (line) => console.error(line),
  );
}
