import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, SCREENSHOTS } from './web-server.js';

/** Someone who signs in through the form. */
export interface Person {
  username: string;
  password: string;
}

/**
 * Pages of 信义家 as a phone shows them: a fresh context per person (its own cookie jar),
 * Chinese locale and Shanghai time, signed in through the form as a resident would.
 */
export function phones(browser: () => Browser, base: () => string) {
  const contexts: BrowserContext[] = [];
  const axe = readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

  async function newPage(width = 390): Promise<Page> {
    const context = await browser().newContext({ viewport: { width, height: 844 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    return page;
  }

  return {
    newPage,

    async signIn(person: Person, width = 390): Promise<Page> {
      const page = await newPage(width);
      await page.goto(`${base()}/`);
      await page.getByLabel('用户名').fill(person.username);
      await page.getByLabel('密码', { exact: true }).fill(person.password);
      await page.getByLabel('密码', { exact: true }).press('Enter');
      await page.locator('.topbar').waitFor();
      return page;
    },

    /** The whole page at its width, the top and tab bars where they start and end it (fixed, they would cover its middle). */
    shot: (page: Page, name: string) =>
      page.screenshot({
        path: path.join(SCREENSHOTS, `web-${name}.png`),
        fullPage: true,
        style: '.topbar, .tabs { position: static !important; } .page { padding-bottom: 0.75rem !important; }',
      }),

    /**
     * What is wrong with the screen as it stands at 360 px: sideways scrolling, and axe-core's
     * serious or critical WCAG 2 A/AA findings. Empty when all is well.
     */
    async problemsAt360(page: Page, name: string): Promise<string[]> {
      const before = page.viewportSize();
      await page.setViewportSize({ width: 360, height: 844 });
      await page.emulateMedia({ reducedMotion: 'reduce' });
      const found: string[] = [];
      const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      if (width > 360) found.push(`${name}: ${String(width)}px wide at 360`);
      await page.addScriptTag({ content: axe }).catch(() => page.evaluate(axe));
      const violations = await page.evaluate(async () => {
        type Result = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
        const result = await (globalThis as unknown as { axe: { run(o: unknown): Promise<Result> } }).axe.run({
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        });
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      found.push(...violations.map((v) => `${name}: ${v}`));
      if (before) await page.setViewportSize(before);
      return found;
    },

    async closeAll(): Promise<void> {
      for (const context of contexts) await context.close().catch(() => undefined);
    },
  };
}
