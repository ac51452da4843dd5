// Internal: bytes written one after another into one buffer that grows, for
// request bodies encoded piece by piece: pieces known in advance are copied
// as bytes, the rest encoded in place, and nothing is copied twice but on
// growth.

const encoder = new TextEncoder();

/** Writes bytes and UTF-8 text into a growing buffer. */
export class ByteWriter {
  #buffer: Uint8Array<ArrayBuffer>;
  #at = 0;
  /** Where jsonString() encodes its text before escaping it. */
  #scratch = new Uint8Array(0);

  /** A writer whose buffer starts with room for `size` bytes. */
  constructor(size: number) {
    this.#buffer = new Uint8Array(Math.max(size, 64));
  }

  /** Copies `bytes`. */
  bytes(bytes: Uint8Array): void {
    if (this.#buffer.length - this.#at < bytes.length) this.#grow(bytes.length);
    this.#buffer.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  /** Writes one byte. */
  byte(value: number): void {
    if (this.#at === this.#buffer.length) this.#grow(1);
    this.#buffer[this.#at++] = value;
  }

  /** Encodes `text` (with no lone surrogate) as UTF-8. */
  text(text: string): void {
    if (text.length <= 32 && this.#buffer.length - this.#at >= text.length) {
      // Short text, often ASCII: byte by byte, unless a character is not.
      const buffer = this.#buffer;
      let at = this.#at;
      let i = 0;
      for (; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) break;
        buffer[at++] = unit;
      }
      this.#at = at;
      if (i === text.length) return;
      text = text.slice(i);
    }
    for (;;) {
      const { read, written } = encoder.encodeInto(
        text,
        this.#buffer.subarray(this.#at),
      );
      this.#at += written;
      if (read === text.length) return;
      text = text.slice(read);
      this.#grow(text.length * 3);
    }
  }

  /**
   * Writes `text` (with no lone surrogate) as a JSON string: in quotes,
   * with `"` and `\\` escaped, and control characters too (through
   * JSON.stringify, when there are any).
   */
  jsonString(text: string): void {
    if (this.#scratch.length < text.length * 3) {
      this.#scratch = new Uint8Array(text.length * 3);
    }
    const scratch = this.#scratch;
    const { written } = encoder.encodeInto(text, scratch);
    if (this.#buffer.length - this.#at < written * 2 + 2) {
      this.#grow(written * 2 + 2);
    }
    const buffer = this.#buffer;
    let at = this.#at;
    buffer[at++] = 0x22; // "
    for (let i = 0; i < written; i++) {
      const byte = scratch[i];
      if (byte < 0x20) return this.text(JSON.stringify(text));
      if (byte === 0x22 || byte === 0x5c) buffer[at++] = 0x5c;
      buffer[at++] = byte;
    }
    buffer[at++] = 0x22;
    this.#at = at;
  }

  /** What was written, as a view of the buffer. */
  result(): Uint8Array<ArrayBuffer> {
    return this.#buffer.subarray(0, this.#at);
  }

  /** Makes room for at least `needed` more bytes. */
  #grow(needed: number): void {
    const grown = new Uint8Array(
      Math.max(this.#buffer.length * 2, this.#at + needed),
    );
    grown.set(this.#buffer.subarray(0, this.#at));
    this.#buffer = grown;
  }
}
