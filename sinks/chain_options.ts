// The options of a file sink's tamper-evident chain:
// `fileAuditSink(path, { chain })` (the chain itself: _chain.ts).

import type { ChainCheckpoint } from "../_checkpoint.ts";

/**
 * A Web Crypto HMAC key (a `CryptoKey`), as the chain takes it: described by
 * shape, so that the types need no DOM library.
 *
 * @example An HMAC SHA-256 key, extractable
 * ```ts
 * import type { HmacKey } from "@calltrail/audit";
 *
 * const key: HmacKey = await crypto.subtle.generateKey(
 *   { name: "HMAC", hash: "SHA-256", length: 256 },
 *   true,
 *   ["sign", "verify"],
 * );
 * ```
 */
export interface HmacKey {
  /** `"secret"` for an HMAC key. */
  readonly type: string;
  /** Must be `true`: the exit drain signs with the key's bytes. */
  readonly extractable: boolean;
  /** `{ name: "HMAC", hash: { name: "SHA-256" }, ... }`. */
  readonly algorithm: object;
  /** What the key may be used for, such as `["sign"]`. */
  readonly usages: readonly string[];
}

/** Options of a file sink's chain: `fileAuditSink(path, { chain })`. *
 * @example A keyed chain whose checkpoints are also sent elsewhere
 * ```ts
 * import { type ChainOptions, fileAuditSink } from "@calltrail/audit";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const shipped: string[] = [];
 * const chain: ChainOptions = {
 *   key: crypto.getRandomValues(new Uint8Array(32)),
 *   onCheckpoint: (_checkpoint, line) => void shipped.push(line),
 * };
 * const path = join(await mkdtemp(join(tmpdir(), "calltrail-")), "audit.jsonl");
 * const sink = await fileAuditSink(path, { chain });
 * await sink.close();
 * ```
 */
export interface ChainOptions {
  /**
   * Makes each checkpoint carry an HMAC-SHA256, so that nobody without the
   * key can forge checkpoints: at least 32 random bytes, or an extractable
   * HMAC SHA-256 `CryptoKey` of at least 256 bits (the exit drain signs
   * synchronously, with the key's bytes). Keep the key away from the log:
   * `calltrail verify --key-file` reads it as raw bytes.
   */
  key?: Uint8Array | HmacKey;
  /**
   * Hears each checkpoint right after it is written to the sidecar, with
   * its line (without `\n`), to send it out of reach of whoever can edit
   * the log: a cut of the tail of both files is caught only against a
   * checkpoint kept elsewhere (`calltrail verify --checkpoint`). It runs
   * where the batch is written, off the call path (also at exit), so it must
   * return quickly; what it throws goes to the sink's `onError`.
   */
  onCheckpoint?: (checkpoint: ChainCheckpoint, line: string) => void;
}
