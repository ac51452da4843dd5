// Internal: how many bytes a string takes in UTF-8, without encoding it.

/**
 * The UTF-8 length of `text`, which holds no lone surrogate (JSON escapes
 * them, so every line and record does).
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit < 0xd800 || unit > 0xdbff) bytes += 2;
    else {
      // A surrogate pair: 4 bytes for 2 code units.
      bytes += 2;
      i++;
    }
  }
  return bytes;
}
