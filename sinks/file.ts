import type { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { nativeSink, type NativeTarget } from "./_native_sink.ts";
import { encodingWriter } from "./_encoding_writer.ts";
import { errorMessage } from "../_error_message.ts";
import { type DenoApi, denoApi, nodeFs, runtime } from "../_runtime.ts";
import { rateLimitedConsoleReporter } from "../_report.ts";
import { type Chain, type ChainOptions, openChain } from "./_chain.ts";

/** Options of {@linkcode fileAuditSink}. *
 * @example A file sink with a chain
 * ```ts
 * import { fileAuditSink, type FileAuditSinkOptions } from "@calltrail/audit";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const options: FileAuditSinkOptions = { capacity: 4096, chain: true };
 * const dir = await mkdtemp(join(tmpdir(), "calltrail-"));
 * const sink = await fileAuditSink(join(dir, "a.jsonl"), options);
 * await sink.close();
 * ```
 */
export interface FileAuditSinkOptions extends AuditSinkOptions {
  /**
   * Keeps a tamper-evident chain in a sidecar file, `<path>.chain`: after
   * each batch appended to the log, one checkpoint with the batch's byte
   * range, line count and SHA-256, linked to the previous checkpoint, and
   * with `key` an HMAC. The log's lines do not change. `true` chains
   * without a key.
   *
   * @default {false}
   */
  chain?: boolean | ChainOptions;
}

/**
 * Opens `path` for appending (creating it with mode `0o600`, owner read and
 * write only) and returns a sink that writes one JSON line per event to it.
 *
 * Batches are written with the runtime's native synchronous file write
 * (`Deno.FsFile.writeSync` on Deno, `fs.writeSync` on a file descriptor on
 * Node and Bun), chosen when the sink is made, on a microtask after
 * `onCall`, never inside it. If the process exits without `close()`, also
 * through `process.exit()` or `Deno.exit()`, every accepted event still in
 * the queue is written synchronously before the process ends. `close()`
 * closes the file.
 *
 * With `chain`, each batch is sealed right after it is written, by a
 * checkpoint appended to the sidecar `<path>.chain` (see the README for its
 * format and what it proves); `calltrail verify` checks it.
 *
 * @param path The file to append to. Its directory must exist.
 * @param options Capacity, fallback, error reporting, line limit, chain.
 * @returns A promise of the sink, once the file is open.
 * @throws {Error} (as a rejection) When the file cannot be opened; the
 * message names the path. Also on a runtime without a file system
 * (workerd, browsers).
 *
 * @example Audit to a file
 * ```ts
 * import { createCallEvent, fileAuditSink } from "@calltrail/audit";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "calltrail-"));
 * const sink = await fileAuditSink(join(dir, "audit.jsonl"));
 * sink.onCall(createCallEvent({
 *   call_id: "01J000000000000000000000TEST",
 *   tool_id: "ref:echo.say",
 *   duration_ms: 1,
 *   outcome: { kind: "success" },
 *   tier: "hot",
 * }));
 * await sink.close();
 * ```
 */
export async function fileAuditSink(
  path: string | URL,
  options: FileAuditSinkOptions = {},
): Promise<JsonLinesAuditSink> {
  const { chain: chainOptions, ...sinkOptions } = options;
  const chain = chainOptions
    ? await openChain(
      path,
      chainOptions,
      sinkOptions.onError ?? rateLimitedConsoleReporter(),
    )
    : undefined;
  let target: NativeTarget;
  try {
    target = await openForAppend(path, chain);
  } catch (error) {
    chain?.close();
    throw error;
  }
  try {
    return nativeSink(target, sinkOptions);
  } catch (error) {
    target.close();
    throw error;
  }
}

/** An open file: a synchronous write of a whole batch, and a close. */
interface OpenFile {
  writeSync(text: string): void;
  close(): void;
}

async function openForAppend(
  path: string | URL,
  chain?: Chain,
): Promise<NativeTarget> {
  const shown = JSON.stringify(String(path));
  const rt = runtime();
  const deno = denoApi();
  const fs = rt === "node" || rt === "bun" ? nodeFs() : undefined;
  // With a chain, the bytes of each batch written in full, to seal them.
  let batch: Uint8Array = new Uint8Array(0);
  const written = chain && ((bytes: Uint8Array) => void (batch = bytes));
  const open = deno !== undefined
    ? () => openDeno(deno, path, written)
    : fs !== undefined
    ? () => openNode(fs, path, written)
    : undefined;
  if (open === undefined) {
    throw new Error(
      `calltrail: fileAuditSink(${shown}) needs a file system (Deno, Bun or Node), and this runtime has none. Use consoleAuditSink() or a JsonLinesAuditSink over a WritableStream instead.`,
    );
  }
  let target: OpenFile;
  try {
    target = await open();
  } catch (error) {
    throw new Error(
      `calltrail: cannot open the audit file ${shown} for appending (${
        errorMessage(error)
      }). Check that its directory exists and that this process may write there.`,
      { cause: error },
    );
  }
  const write = (text: string): void => {
    try {
      target.writeSync(text);
    } catch (error) {
      throw new Error(
        `calltrail: writing to the audit file ${shown} failed (${
          errorMessage(error)
        }).`,
        { cause: error },
      );
    }
    chain?.record(batch, text);
  };
  const close = (): void => {
    target.close();
    chain?.close();
  };
  return { write, writeSync: write, close };
}

async function openDeno(
  deno: DenoApi,
  path: string | URL,
  written?: (bytes: Uint8Array) => void,
): Promise<OpenFile> {
  const file = await deno.open(path, {
    append: true,
    create: true,
    mode: 0o600,
  });
  const writeSync = encodingWriter(
    (bytes, from, to) => file.writeSync(bytes.subarray(from, to)),
    written,
  );
  const close = (): void => {
    try {
      file.close();
    } catch {
      // Already closed.
    }
  };
  return { writeSync, close };
}

async function openNode(
  fs: NonNullable<ReturnType<typeof nodeFs>>,
  path: string | URL,
  written?: (bytes: Uint8Array) => void,
): Promise<OpenFile> {
  const fd = await new Promise<number>((resolve, reject) =>
    fs.open(
      path,
      "a",
      0o600,
      (error, fd) => error ? reject(error) : resolve(fd),
    )
  );
  const writeSync = encodingWriter(
    (bytes, from, to) => fs.writeSync(fd, bytes, from, to - from),
    written,
  );
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    try {
      fs.closeSync(fd);
    } catch {
      // Nothing left to release.
    }
  };
  return { writeSync, close };
}
