// Internal: reads the logs given to `stats` and `report`, in order, into one
// TrailStats (and, for the report, a Timeline), counting bad lines instead
// of failing. Shows progress on stderr for large files when it is a TTY.

import { type CallEvent, readCallEvents } from "../mod.ts";
import { fileChunks, sizeOf } from "./_files.ts";
import { TrailStats } from "./_trail_stats.ts";
import { cliProcess } from "./_node.ts";

/** Files at least this large (in total) get a progress line on a TTY. */
const PROGRESS_BYTES = 64 * 1024 * 1024;
const PROGRESS_MS = 200;
const MIB = 1024 * 1024;

/**
 * Reads `paths` into a TrailStats; `each` also sees every event (the report's
 * timeline). Throws a FileError before reading anything if a file cannot be
 * read.
 */
export async function summarize(
  command: string,
  paths: string[],
  each?: (event: CallEvent) => void,
): Promise<TrailStats> {
  const process = cliProcess();
  const sizes = await Promise.all(paths.map(sizeOf));
  const total = sizes.reduce((a, b) => a + b, 0);
  const progress = process.stderr.isTTY === true && total >= PROGRESS_BYTES
    ? progressLine(command, total)
    : undefined;
  const stats = new TrailStats();
  let done = 0;
  try {
    for (const [i, path] of paths.entries()) {
      const source = fileChunks(path, (bytes) => progress?.(done + bytes));
      for await (
        const event of readCallEvents(source, {
          onInvalid: (_line, error) => stats.bad(error),
        })
      ) {
        stats.add(event);
        each?.(event);
      }
      done += sizes[i];
    }
  } finally {
    progress?.(-1);
  }
  return stats;
}

/** A progress line on stderr: call with the bytes read, or -1 to clear it. */
function progressLine(command: string, total: number): (bytes: number) => void {
  const process = cliProcess();
  let last = 0;
  return (bytes) => {
    if (bytes < 0) {
      process.stderr.write("\r\x1b[K");
      return;
    }
    const now = Date.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    const percent = Math.floor((100 * bytes) / total);
    process.stderr.write(
      `\rcalltrail ${command}: ${Math.round(bytes / MIB)} of ${
        Math.round(total / MIB)
      } MiB read (${percent}%)\x1b[K`,
    );
  };
}
