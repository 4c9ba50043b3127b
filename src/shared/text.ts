/**
 * Text a client gave, made fit for one line of a feed summary: runs of whitespace and control
 * characters become one space.
 */
export function oneLine(text: string): string {
  return text.replace(/[\s\x00-\x1F\x7F]+/g, ' ').trim();
}

/**
 * Orders text as the database's C collation does, by UTF-8 bytes (code points), so a list
 * sorted here pages with the same `>` the database would use.
 */
export function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
