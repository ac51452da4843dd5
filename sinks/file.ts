import { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { nativeDestination } from "./_native_sink.ts";
import { rateLimitedConsoleReporter } from "../_report.ts";
import { errorMessage } from "../_error_message.ts";
import { openChain } from "./_chain.ts";
import type { ChainOptions } from "./chain_options.ts";
import { type FileTarget, openFileTarget } from "./_file_target.ts";
import { type RotateOptions, rotateSettings } from "./_rotation.ts";

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
  /**
   * Rotates the file by size (`maxBytes`), by UTC hour or day (`interval`),
   * or both, keeping `maxFiles` rotated files: see {@linkcode RotateOptions}
   * and the README. Without it, the file grows for ever (or until an
   * external logrotate moves it and `reopen()` is called).
   */
  rotate?: RotateOptions;
}

/**
 * The sink {@linkcode fileAuditSink} returns: a {@linkcode JsonLinesAuditSink}
 * that can also reopen its file, and counts its rotations.
 *
 * @example Reopen the file after an external rename (logrotate, SIGHUP)
 * ```ts
 * import { createCallEvent, fileAuditSink, type FileAuditSink } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 * import { mkdtemp, readFile, rename } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const event = (call_id: string) =>
 *   createCallEvent({
 *     call_id,
 *     tool_id: "ref:echo.say",
 *     duration_ms: 1,
 *     outcome: { kind: "success" },
 *     tier: "hot",
 *   });
 * const path = join(await mkdtemp(join(tmpdir(), "calltrail-")), "audit.jsonl");
 * const sink: FileAuditSink = await fileAuditSink(path);
 * sink.onCall(event("before"));
 * await sink.flush();
 * await rename(path, `${path}.1`);
 * await sink.reopen();
 * sink.onCall(event("after"));
 * await sink.close();
 * assert.match(await readFile(path, "utf8"), /"after"/);
 * assert.match(await readFile(`${path}.1`, "utf8"), /"before"/);
 * ```
 */
export interface FileAuditSink extends JsonLinesAuditSink {
  /**
   * Closes the file and opens `path` again (appending, or creating it with
   * mode `0o600`), for an external rotation such as logrotate's `create`
   * mode: batches written before go to the file that was renamed, the next
   * ones to the new file at `path`; no accepted event is lost. With a
   * chain, move the sidecar with its log (to `<moved log>.chain`) before
   * calling it. After `close()` it does nothing.
   *
   * @returns A promise that resolves once the next batch goes to the file
   * now at `path`. It never rejects: when `path` cannot be opened, the sink
   * goes on writing to the file it had, and `onError` hears why (counted in
   * `rotations().failed`).
   */
  reopen(): Promise<void>;
  /**
   * How many times the file was rotated (`rotate`) or reopened
   * (`reopen()`), and how many of those failed.
   *
   * @returns A new object with `rotated`, `reopened` and `failed`.
   */
  rotations(): { rotated: number; reopened: number; failed: number };
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
 * With `rotate`, before a batch is written, the live file is renamed to
 * `<path>.<UTC time>` (its sidecar with it) and a new one is opened when the
 * batch would take it past `maxBytes` or an interval began; the chain goes
 * on in the new file. The exit drain does not rotate. `reopen()` opens
 * `path` again, for an external logrotate.
 *
 * @param path The file to append to. Its directory must exist.
 * @param options Capacity, fallback, error reporting, line limit, chain,
 * rotation.
 * @returns A promise of the sink, once the file is open.
 * @throws {Error} (as a rejection) When the file cannot be opened; the
 * message names the path. Also on a runtime without a file system
 * (workerd, browsers).
 * @throws {TypeError | RangeError} (as a rejection) When `rotate` is not
 * valid; the message says which option and what to give.
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
): Promise<FileAuditSink> {
  const { chain: chainOptions, rotate: rotateOptions, ...sinkOptions } =
    options;
  const rotate = rotateOptions === undefined
    ? undefined
    : rotateSettings(rotateOptions);
  const onError = sinkOptions.onError ?? rateLimitedConsoleReporter();
  const report = (error: Error): void => {
    try {
      onError(error);
    } catch {
      // onError must not throw; if it does, there is no one left to tell.
    }
  };
  const chain = chainOptions
    ? await openChain(path, chainOptions, report)
    : undefined;
  let target: FileTarget;
  try {
    target = openFileTarget(path, { chain, rotate, report });
  } catch (error) {
    chain?.close();
    throw error;
  }
  try {
    return new FileSink(target, { ...sinkOptions, onError }, report);
  } catch (error) {
    target.close();
    throw error;
  }
}

/** The sink, over its file. */
class FileSink extends JsonLinesAuditSink implements FileAuditSink {
  readonly #target: FileTarget;
  readonly #report: (error: Error) => void;

  constructor(
    target: FileTarget,
    options: AuditSinkOptions,
    report: (error: Error) => void,
  ) {
    super(nativeDestination(target), { ...options, preventClose: false });
    this.#target = target;
    this.#report = report;
  }

  reopen(): Promise<void> {
    try {
      this.#target.reopen();
    } catch (error) {
      this.#target.counts.failed++;
      this.#report(
        new Error(
          `calltrail: reopen() failed, so the sink goes on writing to the file it had (${
            errorMessage(error)
          })`,
          { cause: error },
        ),
      );
    }
    return Promise.resolve();
  }

  rotations(): { rotated: number; reopened: number; failed: number } {
    return { ...this.#target.counts };
  }
}
