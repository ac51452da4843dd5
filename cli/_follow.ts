// Internal: the bytes of a file as it grows, for `calltrail tail -f`. It
// reads to the end, then polls; a file that shrinks (truncated) or is
// replaced (renamed away by a rotation, a new one created) is read again
// from its start.

import { cliFs } from "./_node.ts";
import { FileError } from "./_files.ts";

const POLL_MS = 200;
const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 10;
const REPLACED = "it was replaced (rotated)";

/** What the follower tells its reader between reads. */
export interface FollowEvents {
  /** Everything written so far was read; the follower waits for more. */
  idle(): void;
  /** The file was truncated or replaced; reading starts again at its start. */
  restarted(why: string): void;
}

/**
 * Yields the bytes of `path` from `from`, then what is appended, for ever.
 * When the file restarts, a line left open is ended with a `\n`, so that it
 * is not glued to the new file's first line.
 */
export async function* follow(
  path: string,
  events: FollowEvents,
  from = 0,
): AsyncGenerator<Uint8Array> {
  let file = await openFile(path);
  let position = from;
  let lastByte = NEWLINE;
  try {
    while (true) {
      const buffer = new Uint8Array(CHUNK_BYTES);
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead > 0) {
        position += bytesRead;
        lastByte = buffer[bytesRead - 1];
        yield buffer.subarray(0, bytesRead);
        continue;
      }
      events.idle();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const why = await changed(path, file, position);
      if (why === undefined) continue;
      if (why === REPLACED) {
        // What the old file got after the last read, before it was replaced.
        while (true) {
          const rest = new Uint8Array(CHUNK_BYTES);
          const { bytesRead } = await file.read(rest, 0, CHUNK_BYTES, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          lastByte = rest[bytesRead - 1];
          yield rest.subarray(0, bytesRead);
        }
      }
      if (lastByte !== NEWLINE) {
        lastByte = NEWLINE;
        yield new Uint8Array([NEWLINE]);
      }
      await file.close();
      file = await openFile(path);
      position = 0;
      events.restarted(why);
    }
  } finally {
    await file.close();
  }
}

type Handle = Awaited<ReturnType<ReturnType<typeof cliFs>["open"]>>;

async function openFile(path: string): Promise<Handle> {
  try {
    return await cliFs().open(path, "r");
  } catch (error) {
    throw new FileError(path, error);
  }
}

/** Why the file at `path` is no longer the one open, if it is not. */
async function changed(
  path: string,
  file: Handle,
  position: number,
): Promise<string | undefined> {
  let now;
  try {
    now = await cliFs().stat(path);
  } catch {
    return undefined; // Renamed away and not yet created again: wait.
  }
  const open = await file.stat();
  if (now.ino !== open.ino || now.dev !== open.dev) {
    return REPLACED;
  }
  if (now.size < position) return "it was truncated";
  return undefined;
}
