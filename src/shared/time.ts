/** Calendar facts of an instant in a community's time zone (reports use these, never UTC). */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timezone, f);
  }
  return f;
}

/** `YYYY-MM-DD` of the instant in the zone. */
export function localDate(instant: Date, timezone: string): string {
  const parts = Object.fromEntries(formatter(timezone).formatToParts(instant).map((p) => [p.type, p.value]));
  return `${String(parts.year).padStart(4, '0')}-${parts.month}-${parts.day}`;
}

/** `YYYY-MM` of the instant in the zone. */
export function localMonth(instant: Date, timezone: string): string {
  return localDate(instant, timezone).slice(0, 7);
}
