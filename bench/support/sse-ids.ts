/**
 * Reads the `id:` of every event of a live feed (Server-Sent Events) from its chunks as they
 * arrive, a line split across two chunks read once, and hands each to `onId` in order: what a
 * bench needs to tell a gap or a duplicate in a stream.
 */
export function eventIdReader(onId: (id: number) => void): (chunk: Buffer) => void {
  let text = '';
  return (chunk) => {
    text += chunk.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end === -1) return;
    for (const line of text.slice(0, end).split('\n')) if (line.startsWith('id: ')) onId(Number(line.slice(4)));
    text = text.slice(end + 1);
  };
}
