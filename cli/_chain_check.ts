// Internal: checks a log's bytes, as they stream, against its chain: each
// checkpoint's byte range, SHA-256, line count, link to the one before, and
// (with the key) its HMAC. Fed the log's chunks in order, it pulls the
// sidecar's checkpoints as it needs them.

import {
  createHash,
  createHmac,
  type Hash,
  timingSafeEqual,
} from "node:crypto";
import {
  type ChainCheckpoint,
  parseCheckpoint,
  unsignedLine,
} from "../_checkpoint.ts";
import type { TextLine } from "./_files.ts";
import { formatCount } from "./_text.ts";

const NEWLINE = 10;

/** Where a chain left off: its last checkpoint's number and digest. */
export interface ChainEnd {
  seq: number;
  digest: string;
}

/** Checkpoints kept elsewhere (`--checkpoint`), by number: their lines. */
export type Anchors = Map<number, { line: string; found: boolean }>;

/** A problem that makes `verify` fail, with the first line it concerns. */
export interface Failure {
  /** The first bad line of the log, when the problem is in the log. */
  line?: number;
  /**
   * When the first bad line is somewhere from `line` to this one (a
   * checkpoint's range, whose hash tells that a line differs, not which).
   */
  lastLine?: number;
  message: string;
}

/** What a ChainCheck found. */
export interface ChainResult {
  checkpoints: number;
  keyed: boolean;
  /** The first and last checkpoint numbers seen. */
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  /** Where the chain stands at the end, for the next file's link. */
  end: ChainEnd | undefined;
  /** Bytes and lines sealed by checkpoints that matched. */
  sealedBytes: number;
  sealedLines: number;
  /** Notes: true, but not failures (gaps, an unsealed tail, a first link). */
  notes: string[];
  failure: Failure | undefined;
}

/** Counts the "\n" in `bytes`. */
function newlines(bytes: Uint8Array): number {
  let n = 0;
  for (
    let at = bytes.indexOf(NEWLINE);
    at !== -1;
    at = bytes.indexOf(NEWLINE, at + 1)
  ) n++;
  return n;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Checks one log file against its sidecar. */
export class ChainCheck {
  readonly #sidecar: AsyncIterator<TextLine>;
  readonly #sidecarName: string;
  readonly #key: Uint8Array | undefined;
  readonly #anchors: Anchors;
  readonly #previous: ChainEnd | undefined;
  readonly #previousName: string | undefined;

  /** Bytes of the log consumed, and the "\n" among them. */
  #offset = 0;
  #lines = 0;
  #sidecarLine = 0;
  #sidecarDone = false;
  /** The checkpoint whose range is being hashed, its hash and first line. */
  #current: ChainCheckpoint | undefined = undefined;
  #hash: Hash | undefined = undefined;
  #currentFirstLine = 0;
  /** The last checkpoint read, and the digest of its line. */
  #last: ChainEnd | undefined = undefined;
  #keyed: boolean | undefined = undefined;
  #checkpoints = 0;
  #firstSeq: number | undefined = undefined;
  #sealedBytes = 0;
  #sealedLines = 0;
  /** Where unsealed bytes after the last checkpoint begin. */
  #tail: { offset: number; line: number } | undefined = undefined;
  readonly #notes: string[] = [];
  #failure: Failure | undefined = undefined;

  constructor(options: {
    sidecar: AsyncIterator<TextLine>;
    sidecarName: string;
    key?: Uint8Array;
    anchors: Anchors;
    /** The previous file's chain end, when a file came before. */
    previous?: ChainEnd;
    previousName?: string;
  }) {
    this.#sidecar = options.sidecar;
    this.#sidecarName = options.sidecarName;
    this.#key = options.key;
    this.#anchors = options.anchors;
    this.#previous = options.previous;
    this.#previousName = options.previousName;
  }

  /** The first problem found so far, if any. */
  get failure(): Failure | undefined {
    return this.#failure;
  }

  #fail(failure: Failure): void {
    this.#failure ??= failure;
  }

  /** Checks the log's next bytes. */
  async feed(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const rest = bytes.subarray(at);
      if (this.#failure !== undefined) return this.#skip(rest);
      if (this.#current === undefined && !this.#sidecarDone) {
        await this.#next();
        continue;
      }
      const checkpoint = this.#current;
      if (checkpoint === undefined) {
        // After the last checkpoint: bytes no checkpoint seals.
        this.#tail ??= { offset: this.#offset, line: this.#lines + 1 };
        return this.#skip(rest);
      }
      if (this.#offset < checkpoint.start) {
        // A gap before this checkpoint (its note was made when it was read).
        const n = Math.min(rest.length, checkpoint.start - this.#offset);
        this.#skip(rest.subarray(0, n));
        at += n;
        continue;
      }
      if (this.#hash === undefined) {
        this.#hash = createHash("sha256");
        this.#currentFirstLine = this.#lines + 1;
      }
      const n = Math.min(rest.length, checkpoint.end - this.#offset);
      const part = rest.subarray(0, n);
      this.#hash.update(part);
      this.#skip(part);
      at += n;
      if (this.#offset === checkpoint.end) this.#close(checkpoint);
    }
  }

  /** Moves past `bytes`, counting their lines. */
  #skip(bytes: Uint8Array): void {
    this.#offset += bytes.length;
    this.#lines += newlines(bytes);
  }

  /** Reads the next checkpoint and checks what can be checked at once. */
  async #next(): Promise<void> {
    const next = await this.#sidecar.next();
    if (next.done) {
      this.#sidecarDone = true;
      return;
    }
    this.#sidecarLine++;
    const { text, ended } = next.value;
    const where = `line ${this.#sidecarLine} of ${this.#sidecarName}`;
    const checkpoint = parseCheckpoint(text);
    if (checkpoint instanceof Error) {
      if (!ended) {
        // A torn checkpoint, as a kill mid-write leaves it.
        this.#notes.push(
          `${where} is a torn checkpoint (no newline), as a kill mid-write leaves it; the bytes it would seal count as unsealed.`,
        );
        this.#sidecarDone = true;
        return;
      }
      return this.#fail({
        message: `${where} is not a checkpoint: ${checkpoint.message}.`,
      });
    }
    const name = `checkpoint ${checkpoint.seq} (${where})`;
    const digest = sha256(text);
    const keyed = checkpoint.mac !== undefined;
    if (this.#keyed === undefined) {
      this.#keyed = keyed;
      this.#firstSeq = checkpoint.seq;
    } else if (keyed !== this.#keyed) {
      return this.#fail({
        message: `${name} ${
          keyed ? "has" : "has no"
        } MAC, unlike the checkpoints before it: a chain keeps one key, so checkpoints were replaced or added.`,
      });
    }
    if (this.#key !== undefined) {
      if (!keyed) {
        return this.#fail({
          message:
            `${name} has no MAC, but a key was given: the chain was written without a key, or its MACs were stripped.`,
        });
      }
      const mac = createHmac("sha256", this.#key).update(
        unsignedLine(checkpoint),
      ).digest();
      if (!timingSafeEqual(mac, Buffer.from(checkpoint.mac!, "hex"))) {
        return this.#fail({
          message:
            `${name} has a MAC that this key did not make: it was forged or edited, or the key is not the chain's.`,
        });
      }
    }
    const link = this.#checkLink(checkpoint, name);
    if (link !== undefined) return this.#fail({ message: link });
    if (checkpoint.start < this.#offset) {
      return this.#fail({
        line: this.#lines + 1,
        message:
          `${name} starts at byte ${checkpoint.start}, before byte ${this.#offset}, where the log's sealed part ends: the log was cut and written again, or the chain was edited.`,
      });
    }
    if (checkpoint.start > this.#offset) {
      this.#notes.push(
        `bytes ${this.#offset} to ${checkpoint.start} (from line ${
          this.#lines + 1
        }) are outside the chain: ${
          this.#last === undefined
            ? "the log had them before the chain began"
            : "a writer stopped before sealing them (a kill), and the next went on after them"
        }.`,
      );
    }
    const anchor = this.#anchors.get(checkpoint.seq);
    if (anchor !== undefined) {
      if (anchor.line !== text) {
        return this.#fail({
          message:
            `${name} differs from the checkpoint ${checkpoint.seq} kept elsewhere: the chain was rewritten.`,
        });
      }
      anchor.found = true;
    }
    this.#checkpoints++;
    this.#last = { seq: checkpoint.seq, digest };
    this.#current = checkpoint;
    this.#hash = undefined;
    if (
      checkpoint.start === checkpoint.end && checkpoint.start === this.#offset
    ) {
      this.#hash = createHash("sha256");
      this.#currentFirstLine = this.#lines + 1;
      this.#close(checkpoint);
    }
  }

  /** Why `checkpoint` does not link to the one before it, if it does not. */
  #checkLink(checkpoint: ChainCheckpoint, name: string): string | undefined {
    const last = this.#last;
    if (last !== undefined) {
      if (checkpoint.seq !== last.seq + 1 || checkpoint.prev !== last.digest) {
        return `${name} does not follow checkpoint ${last.seq}: a checkpoint was removed, inserted or reordered.`;
      }
      return undefined;
    }
    // The first checkpoint of this file.
    if ((checkpoint.seq === 0) !== (checkpoint.prev === null)) {
      return `${name} is numbered ${checkpoint.seq} but ${
        checkpoint.prev === null
          ? "links to nothing"
          : "links to an earlier one"
      }: the chain's start was edited.`;
    }
    if (checkpoint.prev === null) {
      if (this.#previous !== undefined) {
        this.#notes.push(
          `a new chain begins here, not linked to ${this.#previousName}'s.`,
        );
      }
      return undefined;
    }
    if (this.#previous === undefined) {
      this.#notes.push(
        `the chain began before this file (its first checkpoint is number ${checkpoint.seq}); the files before it were not given.`,
      );
      return undefined;
    }
    if (
      checkpoint.seq !== this.#previous.seq + 1 ||
      checkpoint.prev !== this.#previous.digest
    ) {
      return `${name} does not follow the last checkpoint of ${this.#previousName} (${this.#previous.seq}): a file is missing between them, or the files are out of order.`;
    }
    return undefined;
  }

  /** The log reached the end of `checkpoint`'s range: compare. */
  #close(checkpoint: ChainCheckpoint): void {
    const digest = this.#hash!.digest("hex");
    const lines = this.#lines - this.#currentFirstLine + 1;
    this.#current = undefined;
    this.#hash = undefined;
    if (digest !== checkpoint.sha256 || lines !== checkpoint.lines) {
      const last = this.#currentFirstLine + checkpoint.lines - 1;
      this.#fail({
        line: this.#currentFirstLine,
        lastLine: Math.max(last, this.#currentFirstLine),
        message:
          `bytes ${checkpoint.start} to ${checkpoint.end} do not match checkpoint ${checkpoint.seq} (${checkpoint.lines} lines): a line there was edited, inserted, deleted or moved.`,
      });
      return;
    }
    this.#sealedBytes += checkpoint.end - checkpoint.start;
    this.#sealedLines += lines;
  }

  /** The log has ended: checks that the chain has too. */
  async end(): Promise<ChainResult> {
    if (this.#failure === undefined) {
      if (this.#current === undefined && !this.#sidecarDone) await this.#next();
      const checkpoint = this.#current;
      if (checkpoint !== undefined && this.#failure === undefined) {
        this.#fail({
          line: this.#lines + 1,
          message:
            `the log ends at byte ${this.#offset} (after line ${this.#lines}), but checkpoint ${checkpoint.seq} seals it up to byte ${checkpoint.end}: the log was cut.`,
        });
      }
    }
    if (this.#failure === undefined && this.#tail !== undefined) {
      this.#notes.push(
        `${
          formatCount(this.#offset - this.#tail.offset)
        } bytes from line ${this.#tail.line} on come after the last checkpoint: no checkpoint seals them (a process killed mid-batch leaves such a tail).`,
      );
    }
    return {
      checkpoints: this.#checkpoints,
      keyed: this.#keyed ?? false,
      firstSeq: this.#firstSeq,
      lastSeq: this.#last?.seq,
      end: this.#last,
      sealedBytes: this.#sealedBytes,
      sealedLines: this.#sealedLines,
      notes: this.#notes,
      failure: this.#failure,
    };
  }
}
