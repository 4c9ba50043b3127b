import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { TEST_ADMIN_PASSWORD } from './constants.js';
import { phones } from './web-browser.js';
import { seedDemo, type Demo } from './web.js';
import { buildWebIfStale, launchChromium, startServer, type RunningServer } from './web-server.js';

export interface WebStage {
  /** The service as `npm start` runs it, on the suite's database. */
  server: RunningServer;
  /** Debian's Chromium, headless. */
  browser: Browser;
  /** A seeded community with a member of every role. */
  demo: Demo;
  /** Phones (390 px contexts) signed in as members, closed after the file. */
  phone: ReturnType<typeof phones>;
}

/**
 * The stage of a browser test file: 信义家 built if stale, the real server process, Chromium
 * and a seeded demo community, set up before the file's tests (its own beforeAll hooks run
 * after this one) and taken down after them. Read its fields inside tests and hooks.
 */
export function webStage(setupTimeoutMs = 120_000): WebStage {
  const stage = {} as WebStage;
  stage.phone = phones(
    () => stage.browser,
    () => stage.server.base,
  );
  beforeAll(async () => {
    buildWebIfStale();
    stage.server = await startServer(inject('databaseUrl'));
    [stage.browser, stage.demo] = await Promise.all([launchChromium(), seedDemo(stage.server.base, TEST_ADMIN_PASSWORD)]);
  }, setupTimeoutMs);
  afterAll(async () => {
    await stage.phone.closeAll();
    await stage.browser?.close();
    await stage.server?.stop();
  });
  return stage;
}
