// Internal: how the CLI reads files: in chunks, as they stand or as they
// grow, with errors that say which file could not be read (exit code 2).

import { errorMessage } from "../_error_message.ts";
import { cliFs } from "./_node.ts";

/** A file that cannot be read (or written): the CLI prints the message and exits 2. */
export class FileError extends Error {
  constructor(path: string, error: unknown, doing: "read" | "write" = "read") {
    const code = (error as { code?: string })?.code;
    const why = code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
      ? "it is a directory"
      : code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : errorMessage(error);
    super(`calltrail: cannot ${doing} ${JSON.stringify(path)}: ${why}.`, {
      cause: error,
    });
    this.name = "FileError";
  }
}

/** Chunks are read this large. */
const CHUNK_BYTES = 1024 * 1024;

/** The size of `path`, in bytes; throws a FileError if it cannot be read. */
export async function sizeOf(path: string): Promise<number> {
  try {
    const info = await cliFs().stat(path);
    if (info.isDirectory()) {
      throw Object.assign(new Error(), { code: "EISDIR" });
    }
    return info.size;
  } catch (error) {
    throw new FileError(path, error);
  }
}

/** Whether `path` exists (as anything). */
export async function exists(path: string): Promise<boolean> {
  try {
    await cliFs().stat(path);
    return true;
  } catch (error) {
    if ((error as { code?: string })?.code === "ENOENT") return false;
    throw new FileError(path, error);
  }
}

/**
 * The bytes of `path` from `from` to its end as it stands now, in chunks.
 * Two buffers take turns: a chunk is valid until the next one is asked for
 * (readCallEvents copies what it keeps). `progress` hears
 * the bytes read so far.
 */
export async function* fileChunks(
  path: string,
  progress?: (bytes: number) => void,
  from = 0,
): AsyncGenerator<Uint8Array> {
  let file;
  try {
    file = await cliFs().open(path, "r");
  } catch (error) {
    throw new FileError(path, error);
  }
  // Two buffers: the next chunk is read while the consumer works on this one.
  const buffers = [new Uint8Array(CHUNK_BYTES), new Uint8Array(CHUNK_BYTES)];
  let position = from;
  const read = (buffer: Uint8Array) =>
    file.read(buffer, 0, CHUNK_BYTES, position).then(
      ({ bytesRead }) => {
        position += bytesRead;
        return bytesRead;
      },
      (error) => {
        throw new FileError(path, error);
      },
    );
  let next = read(buffers[0]);
  try {
    for (let turn = 0;; turn ^= 1) {
      const bytesRead = await next;
      if (bytesRead === 0) return;
      progress?.(position);
      next = read(buffers[turn ^ 1]);
      yield buffers[turn].subarray(0, bytesRead);
    }
  } finally {
    await next.catch(() => {});
    await file.close();
  }
}

/** One line of a text file, and whether a `\n` ended it. */
export interface TextLine {
  text: string;
  ended: boolean;
}

/** The lines of `path` (UTF-8), as it streams. */
export async function* textLines(path: string): AsyncGenerator<TextLine> {
  const decoder = new TextDecoder();
  let carry = "";
  for await (const chunk of fileChunks(path)) {
    const text = carry + decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    carry = lines.pop()!;
    for (const line of lines) yield { text: line, ended: true };
  }
  carry += decoder.decode();
  if (carry !== "") yield { text: carry, ended: false };
}
