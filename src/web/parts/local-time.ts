/**
 * Wall-clock times in the community's time zone, for `<input type="datetime-local">`: the
 * browser's own zone may be another (a member abroad), so the zone is always named.
 */

/** The calendar fields of an instant as the zone's clock shows them. */
function fieldsIn(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour!, minute: +parts.minute! };
}

/** A wall-clock time typed in the zone (YYYY-MM-DDTHH:mm), as an instant; undefined when not such a time. */
export function instantIn(local: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return undefined;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!);
  // The zone's offset at that moment, read back through Intl (two passes settle a DST edge).
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const f = fieldsIn(new Date(guess), timeZone);
    guess += asUtc - Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute);
  }
  return new Date(guess).toISOString();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The zone's date `days` from now at `hour`:00, as a datetime-local value (a sensible default deadline). */
export function localDaysAhead(days: number, hour: number, timeZone: string, now = new Date()): string {
  const f = fieldsIn(new Date(now.getTime() + days * 86_400_000), timeZone);
  return `${f.year}-${pad(f.month)}-${pad(f.day)}T${pad(hour)}:00`;
}

/** The year and month (1-12) it is now in the zone. */
export function monthNowIn(timeZone: string, now = new Date()): { year: number; month: number } {
  const f = fieldsIn(now, timeZone);
  return { year: f.year, month: f.month };
}
