import { describe, expect, it } from 'vitest';
import { formatYuan, Money } from '../src/shared/money.js';
import { yuan } from '../src/shared/yuan.js';
import { barWidth, chineseCapitals, formatYuan as webYuan, maxAmount, rateWidth } from '../src/web/format.js';

describe('one money formatter for the server and the web app', () => {
  it('writes ¥ with groups of three from the decimal string', () => {
    expect(yuan('0')).toBe('¥0.00');
    expect(yuan('12345.6')).toBe('¥12,345.60');
    expect(yuan('9999999999999.99')).toBe('¥9,999,999,999,999.99');
    expect(yuan('19999999999999.98')).toBe('¥19,999,999,999,999.98'); // past a float's exact range of cents
    expect(yuan('-8')).toBe('-¥8.00');
    expect(yuan('-0.00')).toBe('¥0.00');
    expect(yuan('007.5')).toBe('¥7.50');
    for (const bad of ['', '1.234', '1e3', '12,000', 'NaN', '¥1']) expect(() => yuan(bad)).toThrow(/not an amount/);
  });

  it('the web app uses that very function; the server rounds half-up to the fen first', () => {
    expect(webYuan).toBe(yuan);
    expect(formatYuan('0.005')).toBe('¥0.01');
    expect(formatYuan(new Money('999.995'))).toBe('¥1,000.00');
    expect(formatYuan('-0')).toBe('¥0.00');
    expect(formatYuan('1280.5')).toBe(yuan('1280.50'));
  });

  it('capitals read the same parts', () => {
    expect(chineseCapitals('1280.50')).toBe('壹仟贰佰捌拾元伍角整');
    expect(chineseCapitals('10005.07')).toBe('壹万零伍元零柒分');
    expect(chineseCapitals('0')).toBe('零元整');
  });
});

describe('the web app\'s bars are sized from the decimal strings, never a float', () => {
  it('a rate as a width, capped at the whole bar', () => {
    expect(rateWidth('0.8523')).toBe('85.23%');
    expect(rateWidth('0')).toBe('0.00%');
    expect(rateWidth('1.0000')).toBe('100.00%');
    expect(rateWidth('1.2000')).toBe('100.00%');
    expect(rateWidth(null)).toBe('0%');
  });

  it('a part of a whole to a tenth of a percent, rounded half up, past a float\'s exact range too', () => {
    expect(barWidth('1', '3')).toBe('33.3%');
    expect(barWidth('2', '3')).toBe('66.7%');
    expect(barWidth('4.25', '5')).toBe('85.0%');
    expect(barWidth('-50.00', '100.00')).toBe('50.0%');
    expect(barWidth('200', '100')).toBe('100.0%');
    expect(barWidth('5', '0')).toBe('0%');
    expect(barWidth('9999999999999.99', '19999999999999.98')).toBe('50.0%');
  });

  it('the largest amount of a chart', () => {
    expect(maxAmount(['3.10', '12.00', '-5.00', '11.99'])).toBe('12.00');
    expect(maxAmount(['19999999999999.98', '19999999999999.99'])).toBe('19999999999999.99');
    expect(maxAmount([])).toBe('0');
  });
});
