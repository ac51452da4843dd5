// Internal: the tamper-evident chain of a file sink. After each batch the
// sink appends to its log, the chain appends one checkpoint to the sidecar
// (`<log>.chain`): the batch's byte range, line count and SHA-256, linked to
// the previous checkpoint, and with a key an HMAC. Hashing is synchronous
// (node:crypto, reached at call time), because the exit drain writes, and so
// seals, its batches synchronously.

import {
  type ChainCheckpoint,
  checkpointLine,
  parseCheckpoint,
  sidecarPath,
  unsignedLine,
} from "../_checkpoint.ts";
import { nowRfc3339 } from "../now_rfc3339.ts";
import { errorMessage } from "../_error_message.ts";
import { closeQuietly, nodeProcess, runtime } from "../_runtime.ts";
import type { ChainOptions, HmacKey } from "./chain_options.ts";
import { encodingWriter } from "./_encoding_writer.ts";
import { type CopyableHash, hmacSha256 } from "./_hmac_sha256.ts";

/** A chain ready to seal batches. */
export interface Chain {
  /**
   * Seals the batch of `lines` whole lines just appended to the log, its
   * `bytes`: writes its checkpoint. Throws when it cannot be written.
   */
  record(bytes: Uint8Array, lines: number): void;
  /**
   * Goes on in the sidecar now at `<path>.chain` (after the log and its
   * sidecar were renamed, or the log reopened), for a log now `logSize`
   * bytes long: opens it, then closes the one before. The chain's count and
   * link go on. Throws, changing nothing, when it cannot be opened.
   */
  reopen(logSize: number): void;
  /** Closes the sidecar. Must not throw. */
  close(): void;
}

/** The part of node:crypto the chain uses. */
interface NodeCrypto {
  createHash(algorithm: "sha256"): CopyableHash;
}

/** The part of node:fs the chain uses (the sink's own writes stay native). */
interface ChainFs {
  openSync(path: string | URL, flags: string, mode: number): number;
  writeSync(
    fd: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): { size: number };
  statSync(path: string | URL): { size: number };
  readSync(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number;
  truncateSync(path: string | URL, length: number): void;
}

const NEWLINE = 10;
/** How much of the sidecar's end is read to find its last checkpoint. */
const TAIL_BYTES = 16 * 1024;
const decoder = new TextDecoder();

/**
 * Opens the chain of the log at `path` before the log itself is opened: reads
 * the log's size and the sidecar's last checkpoint, to go on from them. It
 * reads synchronously, as the file sink opens its log: `fs.promises` cost a
 * first open 2 to 10 ms more, most of it its thread pool's start. Only an
 * HMAC `CryptoKey` is awaited (its bytes, exported).
 */
export async function openChain(
  path: string | URL,
  options: true | ChainOptions,
  report: (error: Error) => void,
): Promise<Chain> {
  const { key, onCheckpoint } = options === true ? {} : options;
  const sidecar = sidecarPath(path);
  const shown = JSON.stringify(String(sidecar));
  const builtin = runtime() === "other"
    ? undefined
    : nodeProcess()?.getBuiltinModule;
  const hashes = builtin?.("node:crypto") as NodeCrypto | undefined;
  const fs = builtin?.("node:fs") as ChainFs | undefined;
  if (hashes === undefined || fs === undefined) {
    throw new Error(
      `calltrail: fileAuditSink's chain needs node:crypto and node:fs (Deno 2, Bun, or Node 22.3 and later), and this runtime has none of its own.`,
    );
  }
  const keyBytes = key === undefined ? undefined : await rawKey(key);
  const sign = keyBytes && hmacSha256(hashes.createHash, keyBytes);
  keyBytes?.fill(0);
  const sha256 = (data: Uint8Array | string) =>
    hashes.createHash("sha256").update(data).digest("hex");

  const logSize = sizeOf(fs, path);
  const last = lastCheckpoint(fs, sidecar, shown, report);
  if (last !== undefined) {
    const keyed = last.checkpoint.mac !== undefined;
    if (keyed !== (sign !== undefined)) {
      throw new Error(
        `calltrail: the chain in ${shown} was written ${
          keyed ? "with" : "without"
        } a key, and this sink has ${
          sign ? "one" : "none"
        }: one chain cannot mix the two. Open the sink as before, or start a new log file.`,
      );
    }
    if (
      sign !== undefined &&
      sign(unsignedLine(last.checkpoint)) !== last.checkpoint.mac
    ) {
      throw new Error(
        `calltrail: the last checkpoint in ${shown} was not signed with this key: a chain keeps one key. Use the key it was written with, or start a new log file.`,
      );
    }
    if (logSize < last.checkpoint.end) {
      report(
        new Error(
          `calltrail: the audit file is ${logSize} bytes long, but its chain's last checkpoint (${shown}, seq ${last.checkpoint.seq}) seals it up to byte ${last.checkpoint.end}: it was cut or replaced. The chain goes on, and calltrail verify will fail there.`,
        ),
      );
    } else if (logSize > last.checkpoint.end) {
      report(
        new Error(
          `calltrail: the audit file has ${
            logSize - last.checkpoint.end
          } bytes after its chain's last checkpoint (${shown}), which an earlier writer did not seal (it was killed, or wrote without the chain). They stay outside the chain.`,
        ),
      );
    }
  }

  let fd = openAppend(fs, sidecar, shown);
  let seq = last === undefined ? 0 : last.checkpoint.seq + 1;
  let prev = last === undefined ? null : sha256(last.line);
  let offset = logSize;
  let open = true;
  // Each checkpoint's line is written as bytes, which are then hashed for
  // the next checkpoint's link (cheaper than hashing the string again).
  let written: Uint8Array = new Uint8Array(0);
  const writeLine = encodingWriter(
    (bytes, from, to) => fs.writeSync(fd, bytes, from, to - from),
    (bytes) => {
      written = bytes;
    },
  );

  return {
    record(bytes, lines) {
      const checkpoint: ChainCheckpoint = {
        v: 1,
        seq,
        start: offset,
        end: offset + bytes.length,
        lines,
        sha256: sha256(bytes),
        prev,
        ts: nowRfc3339(),
      };
      if (sign !== undefined) checkpoint.mac = sign(checkpointLine(checkpoint));
      const line = checkpointLine(checkpoint);
      try {
        writeLine(`${line}\n`);
      } catch (error) {
        throw new Error(
          `calltrail: a batch was written to the audit file, but its checkpoint could not be written to ${shown} (${
            errorMessage(error)
          }). The chain cannot vouch for that batch, so the sink stops.`,
          { cause: error },
        );
      }
      seq++;
      prev = sha256(written.subarray(0, written.length - 1));
      offset = checkpoint.end;
      if (onCheckpoint !== undefined) {
        try {
          onCheckpoint(checkpoint, line);
        } catch (error) {
          report(
            new Error(
              `calltrail: the chain's onCheckpoint threw (${
                errorMessage(error)
              }); the checkpoint is in ${shown} all the same.`,
              { cause: error },
            ),
          );
        }
      }
    },
    reopen(logSize) {
      const next = fs.openSync(sidecar, "a", 0o600);
      let size = 0;
      try {
        size = fs.fstatSync(next).size;
      } catch {
        // Taken as empty.
      }
      if (size > 0 && logSize !== offset) {
        report(
          new Error(
            `calltrail: the audit file was reopened at ${logSize} bytes, but its chain ${shown} still holds the checkpoints of the file before (it was not moved with the log, to <moved log>.chain): calltrail verify will fail from here. Move the sidecar with its log before reopen(), or use the rotate option.`,
          ),
        );
      }
      closeQuietly(fs, fd);
      fd = next;
      offset = logSize;
    },
    close() {
      if (!open) return;
      open = false;
      closeQuietly(fs, fd);
    },
  };
}

async function rawKey(key: Uint8Array | HmacKey): Promise<Uint8Array> {
  if (key instanceof Uint8Array) {
    if (key.length < 32) {
      throw new RangeError(
        `calltrail: the chain's key is ${key.length} bytes long; it must be at least 32 random bytes (crypto.getRandomValues(new Uint8Array(32))).`,
      );
    }
    return key.slice();
  }
  const algorithm = (key as {
    algorithm?: { name?: string; hash?: { name?: string }; length?: number };
  })
    ?.algorithm;
  if (
    typeof CryptoKey === "undefined" || !(key instanceof CryptoKey) ||
    algorithm?.name !== "HMAC" || algorithm.hash?.name !== "SHA-256"
  ) {
    throw new TypeError(
      `calltrail: the chain's key must be a Uint8Array of at least 32 bytes or an HMAC SHA-256 CryptoKey.`,
    );
  }
  if (!key.extractable) {
    throw new TypeError(
      `calltrail: the chain's CryptoKey must be extractable: checkpoints written at exit are signed synchronously, with the key's bytes. Import it with extractable: true, or pass the bytes.`,
    );
  }
  const bytes = new Uint8Array(
    await crypto.subtle.exportKey("raw", key as CryptoKey),
  );
  if (bytes.length < 32) {
    throw new RangeError(
      `calltrail: the chain's CryptoKey is ${
        bytes.length * 8
      } bits long; it must be at least 256.`,
    );
  }
  return bytes;
}

function sizeOf(fs: ChainFs, path: string | URL): number {
  try {
    return fs.statSync(path).size;
  } catch (error) {
    if ((error as { code?: string })?.code === "ENOENT") return 0;
    throw new Error(
      `calltrail: cannot read the size of the audit file ${
        JSON.stringify(String(path))
      } (${errorMessage(error)}).`,
      { cause: error },
    );
  }
}

/**
 * The sidecar's last checkpoint and its line, if it has one. A torn last
 * line (a kill mid-write) is cut off, and reported.
 */
function lastCheckpoint(
  fs: ChainFs,
  sidecar: string | URL,
  shown: string,
  report: (error: Error) => void,
): { checkpoint: ChainCheckpoint; line: string } | undefined {
  let size: number;
  let bytes: Uint8Array;
  try {
    size = fs.statSync(sidecar).size;
    bytes = new Uint8Array(Math.min(size, TAIL_BYTES));
    const fd = fs.openSync(sidecar, "r", 0o600);
    try {
      const from = size - bytes.length;
      for (let done = 0, read = 1; done < bytes.length && read > 0;) {
        read = fs.readSync(fd, bytes, done, bytes.length - done, from + done);
        done += read;
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as { code?: string })?.code === "ENOENT") return undefined;
    throw new Error(
      `calltrail: cannot read the chain ${shown} (${errorMessage(error)}).`,
      { cause: error },
    );
  }
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] !== NEWLINE) {
    end = bytes.lastIndexOf(NEWLINE) + 1;
    const cut = size - (bytes.length - end);
    fs.truncateSync(sidecar, cut);
    report(
      new Error(
        `calltrail: the chain ${shown} ended with a torn checkpoint (${
          bytes.length - end
        } bytes, as a kill mid-write leaves it), which was cut off.`,
      ),
    );
  }
  if (end === 0) return undefined;
  const line = decoder.decode(
    bytes.subarray(bytes.lastIndexOf(NEWLINE, end - 2) + 1, end - 1),
  );
  const checkpoint = parseCheckpoint(line);
  if (checkpoint instanceof Error) {
    throw new Error(
      `calltrail: the last line of the chain ${shown} is not a checkpoint (${checkpoint.message}), so the chain cannot go on from it. Run calltrail verify on the log; move the chain away to start a new one.`,
    );
  }
  return { checkpoint, line };
}

function openAppend(fs: ChainFs, sidecar: string | URL, shown: string): number {
  try {
    return fs.openSync(sidecar, "a", 0o600);
  } catch (error) {
    throw new Error(
      `calltrail: cannot open the chain ${shown} for appending (${
        errorMessage(error)
      }).`,
      { cause: error },
    );
  }
}
