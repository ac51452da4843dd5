// Internal: the file a file sink writes, as a NativeTarget: each batch is
// encoded, then written with the runtime's synchronous file write. With
// rotation, the live file is rotated inside that same synchronous write,
// before the batch's first byte: close nothing yet, rename the live file
// (and its chain's sidecar), open a new one, then write. No batch can be
// written meanwhile, so none is lost, repeated or split across files. The
// exit drain (`writeSync`) never rotates.

import { errorMessage } from "../_error_message.ts";
import {
  closeQuietly,
  type DenoApi,
  denoApi,
  type NodeFs,
  nodeFs,
  runtime,
} from "../_runtime.ts";
import { sidecarPath } from "../_checkpoint.ts";
import type { Chain } from "./_chain.ts";
import { encodingWriter } from "./_encoding_writer.ts";
import type { NativeTarget } from "./_native_sink.ts";
import {
  periodStart,
  rotatedFiles,
  rotatedPath,
  type RotateSettings,
} from "./_rotation.ts";

/** How many times the file was rotated or reopened, and how many failed. */
export interface RotationCounts {
  rotated: number;
  reopened: number;
  failed: number;
}

/** A file sink's target, which can also reopen its file. */
export interface FileTarget extends NativeTarget {
  /**
   * Opens `path` again and writes there from the next batch on. Throws,
   * changing nothing, when it cannot.
   */
  reopen(): void;
  readonly counts: RotationCounts;
}

/** An open live file. */
interface LiveFile {
  /** Writes bytes `from` to `to`, or some of them; returns how many. */
  writeSome(bytes: Uint8Array, from: number, to: number): number;
  /** Its size and last change (ms) when it was opened. */
  readonly size: number;
  readonly mtime: number;
  close(): void;
}

/** Opens the file sink's target: throws with a message naming `path`. */
export function openFileTarget(
  path: string | URL,
  options: {
    chain: Chain | undefined;
    rotate: RotateSettings | undefined;
    report: (error: Error) => void;
  },
): FileTarget {
  const { chain, rotate, report } = options;
  const shown = JSON.stringify(String(path));
  const rt = runtime();
  const deno = denoApi();
  const fs = rt === "other" ? undefined : nodeFs();
  const open = deno !== undefined
    ? () => openDeno(deno, path)
    : fs !== undefined
    ? () => openNode(fs, path)
    : undefined;
  if (open === undefined || (rotate !== undefined && fs === undefined)) {
    throw new Error(
      `calltrail: fileAuditSink(${shown}) needs a file system (Deno, Bun or Node), and this runtime has none. Use consoleAuditSink() or a JsonLinesAuditSink over a WritableStream instead.`,
    );
  }
  const opened = (): LiveFile => {
    try {
      return open();
    } catch (error) {
      throw new Error(
        `calltrail: cannot open the audit file ${shown} for appending (${
          errorMessage(error)
        }). Check that its directory exists and that this process may write there.`,
        { cause: error },
      );
    }
  };

  let file = opened();
  let size = file.size;
  let closed = false;
  const counts: RotationCounts = { rotated: 0, reopened: 0, failed: 0 };
  const now = rotate?.now ?? Date.now;
  /** When the next interval begins (Infinity without an interval). */
  let boundary = Infinity;
  const startPeriod = (opened: LiveFile): void => {
    if (rotate === undefined || rotate.period === Infinity) return;
    const start = periodStart(now(), rotate.period);
    // Bytes from an earlier period rotate away at the first batch.
    boundary = opened.size > 0 && opened.mtime < start
      ? -Infinity
      : start + rotate.period;
  };
  startPeriod(file);
  /** The last rotation's time and name: the next one sorts after them. */
  let lastTime = -Infinity;
  let lastName = "";

  /** Rotates if this batch, `length` bytes long, must go to a new file. */
  const rotateBefore = (length: number): void => {
    if (rotate === undefined) return;
    const due = now() >= boundary;
    if (size === 0) {
      if (due) startPeriod(file);
      return;
    }
    if (due || size + length > rotate.maxBytes) rotateNow(fs!, rotate);
  };

  const rotateNow = (fs: NodeFs, rotate: RotateSettings): void => {
    const fail = (step: string, error: unknown): void => {
      counts.failed++;
      report(
        new Error(
          `calltrail: rotating the audit file ${shown} failed while ${step} (${
            errorMessage(error)
          }). Nothing is lost: the sink goes on writing to the live file, and tries again at the next batch.`,
          { cause: error },
        ),
      );
    };
    let to: string | URL;
    try {
      // Names sort as rotations happen, also when the clock steps back.
      lastTime = Math.max(lastTime, now());
      to = rotatedPath(
        path,
        lastTime,
        (name) =>
          fs.existsSync(name) ||
          (chain !== undefined && fs.existsSync(sidecarPath(name))),
        lastName,
      );
      fs.renameSync(path, to);
    } catch (error) {
      return fail("renaming it", error);
    }
    const undo = (step: string, error: unknown, sidecarMoved: boolean) => {
      try {
        if (sidecarMoved) fs.renameSync(sidecarPath(to), sidecarPath(path));
        fs.renameSync(to, path);
      } catch (undoError) {
        report(
          new Error(
            `calltrail: the audit file ${shown} could not be renamed back from ${
              JSON.stringify(String(to))
            } (${
              errorMessage(undoError)
            }); the sink goes on writing to it under that name.`,
            { cause: undoError },
          ),
        );
      }
      fail(step, error);
    };
    if (chain !== undefined) {
      try {
        fs.renameSync(sidecarPath(path), sidecarPath(to));
      } catch (error) {
        return undo("renaming its chain", error, false);
      }
    }
    let next: LiveFile;
    try {
      next = open();
    } catch (error) {
      return undo("opening a new file", error, chain !== undefined);
    }
    try {
      chain?.reopen(next.size);
    } catch (error) {
      next.close();
      return undo("opening a new chain", error, true);
    }
    file.close();
    file = next;
    size = next.size;
    startPeriod(next);
    lastName = String(to);
    counts.rotated++;
    if (rotate.maxFiles !== Infinity) prune(fs, rotate.maxFiles);
  };

  const prune = (fs: NodeFs, maxFiles: number): void => {
    let files: (string | URL)[];
    try {
      files = rotatedFiles(path, (dir) => fs.readdirSync(dir));
    } catch (error) {
      return report(
        new Error(
          `calltrail: cannot list the rotated files of ${shown} to keep ${maxFiles} (${
            errorMessage(error)
          }); none was deleted.`,
          { cause: error },
        ),
      );
    }
    for (const old of files.slice(0, Math.max(0, files.length - maxFiles))) {
      for (const name of chain ? [old, sidecarPath(old)] : [old]) {
        try {
          fs.unlinkSync(name);
        } catch (error) {
          if ((error as { code?: string })?.code === "ENOENT") continue;
          report(
            new Error(
              `calltrail: cannot delete ${
                JSON.stringify(String(name))
              }, beyond rotate.maxFiles (${maxFiles}) (${
                errorMessage(error)
              }).`,
              { cause: error },
            ),
          );
        }
      }
    }
  };

  // With a chain, the bytes of each batch written in full, to seal them.
  let batch: Uint8Array = new Uint8Array(0);
  let rotating = false;
  const encoded = encodingWriter(
    (bytes, from, to) => file.writeSome(bytes, from, to),
    (bytes) => {
      size += bytes.length;
      batch = bytes;
    },
    (length) => {
      if (rotating) rotateBefore(length);
    },
  );
  const writeBatch = (text: string, count: number): void => {
    try {
      encoded(text);
    } catch (error) {
      throw new Error(
        `calltrail: writing to the audit file ${shown} failed (${
          errorMessage(error)
        }).`,
        { cause: error },
      );
    }
    chain?.record(batch, count);
  };
  return {
    write(text, count) {
      rotating = true;
      try {
        writeBatch(text, count);
      } finally {
        rotating = false;
      }
    },
    writeSync: writeBatch,
    reopen() {
      if (closed) return;
      const next = opened();
      try {
        chain?.reopen(next.size);
      } catch (error) {
        next.close();
        throw new Error(
          `calltrail: cannot open the chain ${
            JSON.stringify(String(sidecarPath(path)))
          } again (${errorMessage(error)}).`,
          { cause: error },
        );
      }
      file.close();
      file = next;
      size = next.size;
      startPeriod(next);
      counts.reopened++;
    },
    counts,
    close() {
      closed = true;
      file.close();
      chain?.close();
    },
  };
}

function openDeno(deno: DenoApi, path: string | URL): LiveFile {
  const file = deno.openSync(path, {
    append: true,
    create: true,
    mode: 0o600,
  });
  let stat: { size: number; mtime: Date | null };
  try {
    stat = file.statSync();
  } catch (error) {
    file.close();
    throw error;
  }
  return {
    writeSome: (bytes, from, to) => file.writeSync(bytes.subarray(from, to)),
    size: stat.size,
    mtime: stat.mtime?.getTime() ?? 0,
    close() {
      try {
        file.close();
      } catch {
        // Already closed.
      }
    },
  };
}

function openNode(fs: NodeFs, path: string | URL): LiveFile {
  const fd = fs.openSync(path, "a", 0o600);
  let stat: { size: number; mtimeMs: number };
  try {
    stat = fs.fstatSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  let open = true;
  return {
    writeSome: (bytes, from, to) => fs.writeSync(fd, bytes, from, to - from),
    size: stat.size,
    mtime: stat.mtimeMs,
    close() {
      if (!open) return;
      open = false;
      closeQuietly(fs, fd);
    },
  };
}
