/**
 * Text a client gave, made fit for one line of a feed summary: runs of whitespace and control
 * characters become one space.
 */
export function oneLine(text: string): string {
  return text.replace(/[\s\x00-\x1F\x7F]+/g, ' ').trim();
}
