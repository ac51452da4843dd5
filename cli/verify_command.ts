// `calltrail verify`: is every line an event, and does the chain (if the log
// has one) still vouch for every byte?

import { readCallEvents } from "../mod.ts";
import { parseCheckpoint, sidecarPath } from "../_checkpoint.ts";
import { files, parse, UsageError } from "./_args.ts";
import {
  type Anchors,
  ChainCheck,
  type ChainEnd,
  type ChainResult,
  type Failure,
} from "./_chain_check.ts";
import { exists, fileChunks, FileError, sizeOf, textLines } from "./_files.ts";
import { formatCount, paint, useColour } from "./_text.ts";
import { cliFs, cliProcess } from "./_node.ts";

/** The help of `calltrail verify`. */
export const VERIFY_HELP =
  `Usage: calltrail verify [--key-file F] [--checkpoint F] FILE...

Checks that every line of each log is a valid event and, when a log has a
chain (the sidecar FILE.chain that fileAuditSink(path, { chain }) writes),
that every checkpoint matches the log's bytes and links to the one before:
an edited, inserted, deleted or moved line, or a cut, fails, naming the
first bad line. Give rotated files oldest first, the live file last: the
chain's links between them are checked too.

A torn last line, or a tail after the last checkpoint, as a process killed
mid-write leaves them, is reported but is not a failure.

Options:
  --key-file F     the chain's key (raw bytes): also check every MAC, and
                   fail on a log without a chain. Without it, a keyed
                   chain's hashes are checked and its MACs are not.
  --checkpoint F   checkpoints kept elsewhere (lines of FILE.chain, as
                   onCheckpoint gave them): the chain must contain each one,
                   which catches a cut of the tail of both files
  -h, --help       show this help

Exit codes: 0 verified, 1 problems found, 2 usage error or unreadable file.
`;

/** Runs `calltrail verify`; returns the exit code. */
export async function verifyCommand(args: string[]): Promise<number> {
  const process = cliProcess();
  const parsed = parse("verify", args, {
    "key-file": { type: "string" },
    checkpoint: { type: "string" },
  });
  if (parsed === undefined) {
    process.stdout.write(VERIFY_HELP);
    return 0;
  }
  const paths = files("verify", parsed);
  const keyFile = parsed.values["key-file"] as string | undefined;
  const key = keyFile === undefined ? undefined : await readKey(keyFile);
  const checkpointFile = parsed.values.checkpoint as string | undefined;
  const anchors: Anchors = checkpointFile === undefined
    ? new Map()
    : await readAnchors(checkpointFile);
  for (const path of paths) await sizeOf(path);
  const chained = await Promise.all(
    paths.map((path) => exists(String(sidecarPath(path)))),
  );

  const colour = useColour(process.stdout);
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const failures: { path: string; failure: Failure }[] = [];
  let previous: { end: ChainEnd; path: string } | undefined;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  for (const [i, path] of paths.entries()) {
    const sidecar = String(sidecarPath(path));
    const chain = chained[i]
      ? new ChainCheck({
        sidecar: textLines(sidecar)[Symbol.asyncIterator](),
        sidecarName: sidecar,
        key,
        anchors,
        previous: previous?.end,
        previousName: previous?.path,
      })
      : undefined;
    const lines = await checkLines(path, chain);
    const result = await chain?.end();
    const failure = lines.failure ??
      (result === undefined
        ? missingChain(path, sidecar, chained, key)
        : result.failure);
    say(`${path}: ${describeLines(lines)}`);
    if (result !== undefined) {
      say(`  ${describeChain(sidecar, result, key !== undefined)}`);
      for (const note of result.notes) say(`  note: ${note}`);
      firstSeq ??= result.firstSeq;
      lastSeq = result.lastSeq ?? lastSeq;
    } else if (failure === undefined) {
      say(`  no chain (no ${sidecar}): only the lines were checked.`);
    }
    if (lines.torn !== undefined) say(`  note: ${lines.torn}`);
    if (failure !== undefined) {
      failures.push({ path, failure });
      say(`  ${paint(colour, "red", "FAIL")}: ${describeFailure(failure)}`);
    }
    // A chained file without a checkpoint (an empty file) leaves the link
    // to check where it was: the next file must follow the one before.
    previous = result === undefined
      ? undefined
      : result.end === undefined
      ? previous
      : { end: result.end, path };
  }

  for (const [seq, anchor] of anchors) {
    if (anchor.found) continue;
    if (lastSeq !== undefined && seq > lastSeq) {
      failures.push({
        path: paths.at(-1)!,
        failure: {
          message:
            `the chain ends at checkpoint ${lastSeq}, but checkpoint ${seq} was kept elsewhere: the tail of the log and of its chain were cut.`,
        },
      });
    } else if (firstSeq !== undefined && seq < firstSeq) {
      say(
        `note: the checkpoint ${seq} kept elsewhere is older than the files given (their chain starts at ${firstSeq}).`,
      );
    } else {
      failures.push({
        path: paths.at(-1)!,
        failure: {
          message: `checkpoint ${seq}, kept elsewhere, is not in the chain.`,
        },
      });
    }
  }

  if (failures.length === 0) {
    say(
      `${paint(colour, "green", "OK")}: ${paths.length} ${
        paths.length === 1 ? "file" : "files"
      } verified.`,
    );
    return 0;
  }
  const first = failures[0];
  say(
    `${paint(colour, "red", "FAILED")}: ${first.path}${
      first.failure.line === undefined ? "" : ` ${where(first.failure)}`
    }: ${first.failure.message}`,
  );
  return 1;
}

/** What reading a log's lines found. */
interface LinesResult {
  events: number;
  invalid: number;
  torn: string | undefined;
  failure: Failure | undefined;
}

/** Reads the log's lines, feeding its bytes to the chain check on the way. */
async function checkLines(
  path: string,
  chain: ChainCheck | undefined,
): Promise<LinesResult> {
  const result: LinesResult = {
    events: 0,
    invalid: 0,
    torn: undefined,
    failure: undefined,
  };
  async function* tapped(): AsyncGenerator<Uint8Array> {
    for await (const chunk of fileChunks(path)) {
      await chain?.feed(chunk);
      yield chunk;
    }
  }
  for await (
    const _ of readCallEvents(tapped(), {
      onInvalid(line, error) {
        if (error.name === "TornLineError") {
          result.torn =
            `line ${line} is torn (the log ends without a newline), as a process killed mid-write leaves it.`;
          return;
        }
        result.invalid++;
        result.failure ??= {
          line,
          message: `not a valid event: ${error.message}`,
        };
      },
    })
  ) {
    result.events++;
  }
  return result;
}

function missingChain(
  path: string,
  sidecar: string,
  chained: boolean[],
  key: Uint8Array | undefined,
): Failure | undefined {
  if (key !== undefined) {
    return {
      message:
        `${path} has no chain (no ${sidecar}), but a key was given: its chain was removed, or it was written without one.`,
    };
  }
  if (chained.includes(true)) {
    return {
      message:
        `${path} has no chain (no ${sidecar}), but the other files given have: its chain was removed.`,
    };
  }
  return undefined;
}

function describeLines(lines: LinesResult): string {
  const total = lines.events + lines.invalid + (lines.torn ? 1 : 0);
  return `${formatCount(total)} lines, ${formatCount(lines.events)} events, ${
    formatCount(lines.invalid)
  } invalid, ${lines.torn ? 1 : 0} torn`;
}

function describeChain(
  sidecar: string,
  result: ChainResult,
  keyGiven: boolean,
): string {
  const range = result.checkpoints === 0
    ? "no checkpoints"
    : `${
      formatCount(result.checkpoints)
    } checkpoints (${result.firstSeq} to ${result.lastSeq})`;
  const macs = !result.keyed
    ? "not keyed"
    : keyGiven
    ? "keyed, MACs checked"
    : "keyed, MACs NOT checked (no --key-file): only the hashes were";
  return `chain ${sidecar}: ${range}, ${macs}; ${
    formatCount(result.sealedLines)
  } lines (${formatCount(result.sealedBytes)} bytes) sealed`;
}

function describeFailure(failure: Failure): string {
  return failure.line === undefined
    ? failure.message
    : `${where(failure)}: ${failure.message}`;
}

/** "line N", or "lines N to M" when the bad line is somewhere in a range. */
function where(failure: Failure): string {
  return failure.lastLine === undefined
    ? `line ${failure.line}`
    : `lines ${failure.line} to ${failure.lastLine}`;
}

async function readKey(path: string): Promise<Uint8Array> {
  let key: Uint8Array;
  try {
    key = await cliFs().readFile(path);
  } catch (error) {
    throw new FileError(path, error);
  }
  if (key.length < 32) {
    throw new UsageError(
      `calltrail verify: the key in ${
        JSON.stringify(path)
      } is ${key.length} bytes long; a chain's key is at least 32 bytes, given as they are (raw, not hex or base64).`,
      "verify",
    );
  }
  return key;
}

async function readAnchors(path: string): Promise<Anchors> {
  const anchors: Anchors = new Map();
  let number = 0;
  for await (const { text } of textLines(path)) {
    number++;
    if (text.trim() === "") continue;
    const checkpoint = parseCheckpoint(text);
    if (checkpoint instanceof Error) {
      throw new UsageError(
        `calltrail verify: line ${number} of ${
          JSON.stringify(path)
        } is not a checkpoint: ${checkpoint.message}.`,
        "verify",
      );
    }
    anchors.set(checkpoint.seq, { line: text, found: false });
  }
  return anchors;
}
