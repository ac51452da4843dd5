// Internal: how the file sink, and Deno's stdout and stderr, turn a batch of
// lines into bytes and write them all synchronously.

const encoder = new TextEncoder();
/** A buffer grown past this for a long line is let go after its write. */
const KEPT_BUFFER_BYTES = 1024 * 1024;

/**
 * A synchronous batch writer: each batch is encoded into one reused buffer
 * (3 bytes per UTF-16 unit is the most UTF-8 takes), then handed to
 * `writeSome`, which writes bytes `from` to `to` and returns how many it
 * wrote, until all are. Measured against writing the string itself (which
 * then needs a second pass to count its bytes), it saves a fifth of the time
 * per line on Node and a tenth on Bun (bench/RESULTS.md). Once a batch is
 * written in full, `written` is given its bytes, a view valid until the next
 * batch (the file sink's chain hashes them). Before the first byte is
 * written, `starting` is given the batch's length in bytes (the file sink
 * rotates then).
 */
export function encodingWriter(
  writeSome: (bytes: Uint8Array, from: number, to: number) => number,
  written?: (bytes: Uint8Array) => void,
  starting?: (length: number) => void,
): (text: string) => void {
  let buffer = new Uint8Array(0);
  return (text) => {
    if (buffer.length < text.length * 3) {
      buffer = new Uint8Array(text.length * 3);
    }
    const bytes = buffer;
    if (bytes.length > KEPT_BUFFER_BYTES) buffer = new Uint8Array(0);
    const end = encoder.encodeInto(text, bytes).written;
    starting?.(end);
    for (let done = 0; done < end;) {
      const wrote = writeSome(bytes, done, end);
      if (!(wrote > 0)) {
        throw new Error(
          `the destination took no bytes (${
            end - done
          } of ${end} left to write)`,
        );
      }
      done += wrote;
    }
    written?.(bytes.subarray(0, end));
  };
}
