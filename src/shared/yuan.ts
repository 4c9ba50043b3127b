/**
 * How an amount reads to residents, `¥12,345.67`: one formatter for the server (the feed's
 * Chinese summaries) and the web app. It works on the decimal string alone, so no amount
 * ever passes through a JS number, and it imports nothing, so the browser bundle can take it.
 */

const AMOUNT = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** An amount as the API writes money (an optional minus, digits, at most two decimals), in parts. */
export function splitAmount(amount: string): { negative: boolean; integer: string; fraction: string } {
  const match = AMOUNT.exec(amount.trim());
  if (!match) throw new Error(`not an amount: ${amount}`);
  const integer = (match[2] ?? '0').replace(/^0+(?=\d)/, '');
  const fraction = (match[3] ?? '').padEnd(2, '0');
  const negative = match[1] === '-' && /[1-9]/.test(integer + fraction);
  return { negative, integer, fraction };
}

/** "12345.6" -> "¥12,345.60"; "-8" -> "-¥8.00"; "-0.00" -> "¥0.00". */
export function yuan(amount: string): string {
  const { negative, integer, fraction } = splitAmount(amount);
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}¥${grouped}.${fraction}`;
}
