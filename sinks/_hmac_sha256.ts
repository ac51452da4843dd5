// Internal: HMAC-SHA256 (RFC 2104) for the chain's checkpoints, made from two
// SHA-256 states saved once per key (the key's inner and outer pads hashed),
// each copied per message. node:crypto's createHmac gives the same MACs, but
// on Deno it takes 13 to 18 us per call against 5 for this, with a KeyObject,
// a Uint8Array or a Buffer alike; on Node and Bun the two are within about
// 1 us (bench/RESULTS.md). The verifier (cli/_chain_check.ts) still checks
// with createHmac, so that the two are checked against each other.

/** The part of a node:crypto Hash this uses. */
export interface CopyableHash {
  update(data: Uint8Array | string): CopyableHash;
  digest(): Uint8Array;
  digest(encoding: "hex"): string;
  copy(): CopyableHash;
}

/** SHA-256's block size, in bytes. */
const BLOCK = 64;

/**
 * A function that gives the HMAC-SHA256 of a message under `key`, in
 * lowercase hex. `createHash` is node:crypto's.
 */
export function hmacSha256(
  createHash: (algorithm: "sha256") => CopyableHash,
  key: Uint8Array,
): (message: Uint8Array | string) => string {
  // What is made from the key is wiped once hashed: the saved states
  // alone stay (update() hashes a whole block at once).
  const block = new Uint8Array(BLOCK);
  if (key.length > BLOCK) {
    const hashed = createHash("sha256").update(key).digest();
    block.set(hashed);
    hashed.fill(0);
  } else {
    block.set(key);
  }
  const padded = (byte: number): CopyableHash => {
    const pad = block.map((value) => value ^ byte);
    const state = createHash("sha256").update(pad);
    pad.fill(0);
    return state;
  };
  const inner = padded(0x36);
  const outer = padded(0x5c);
  block.fill(0);
  return (message) =>
    outer.copy().update(inner.copy().update(message).digest()).digest("hex");
}
