import fc from 'fast-check';

/**
 * Values chosen to break things: the ones that have broken services like ours before. Each
 * list is small and explicit so a failure names a value a reader recognises.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\u202Eevil\u202C',
  '\u200F\u200E',
  '\uFEFFbom',
  '\u0085\u2028\u2029',
  '😀👨‍👩‍👧‍👦',
  '𝕏𝔸',
  '共管账户 业主',
  'x'.repeat(10 * 1024),
  "'; DROP TABLE entries; --",
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '../../etc/passwd',
  '%ZZ',
  '%00',
  '\r\nX-Injected: 1',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  'true',
  '[]',
  '{}',
];

/** Money as the contract says it is sent, and everything it says is not money. */
export const HOSTILE_MONEY: readonly unknown[] = [
  '0',
  '0.00',
  '0.01',
  '-1',
  '-0.01',
  '-0',
  '9999999999999.99',
  '9999999999999.999',
  '10000000000000',
  '99999999999999',
  '1e3',
  '1E3',
  'NaN',
  'Infinity',
  ' 12',
  '12 ',
  '12.',
  '.5',
  '+1',
  '0x10',
  '1_000',
  '1,000.00',
  '１２',
  '١٢',
  '12.345',
  '',
  12,
  12.5,
  0,
  -1,
  1e21,
  null,
  true,
  ['12'],
  { amount: '12' },
];

/** Ids that are not ids: a path must answer them with 400 or 404, never anything worse. */
export const HOSTILE_IDS: readonly string[] = [
  '',
  ' ',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(200),
  'x'.repeat(300),
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a/b',
  'a%2Fb',
  '账本',
  '😀',
  '\u202E',
  'null',
  '0',
  '-1',
  '99999999999999999999',
  '00000000-0000-0000-0000-000000000000',
  "1' OR '1'='1",
  '%00',
  '%ZZ',
];

/** Path segments sent exactly as written: percent-escapes that do not decode, dot segments. */
export const RAW_PATH_SEGMENTS: readonly string[] = ['%ZZ', '%', '%E0%A4%A', '%C0%AF', '%FF', '..', '%2e%2e', '%00', 'a%2Fb', '%252F'];

/** Header values a client can put on the wire (no CR, LF or NUL, which Node refuses to send). */
export const HOSTILE_HEADER_VALUES: readonly string[] = ['', ' ', '\t', 'x'.repeat(300), 'é', '\u00ff\u00fe', 'a b c', '"quoted"', '1, 2', '<script>'];

/** A money string the contract accepts: up to 13 integer digits and up to 2 fractional ones. */
export const validMoney = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('0.01', '1', '100', '9999999999999.99', '9999999999999') },
    { weight: 4, arbitrary: amounts() },
  );

const amounts = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.oneof(
        fc.bigInt({ min: 1n, max: 10_000n }),
        fc.bigInt({ min: 0n, max: 9_999_999_999_999n }),
      ),
      fc.constantFrom('', '.0', '.5', '.05', '.50', '.99'),
    )
    .map(([units, fraction]) => `${units}${fraction}`);
