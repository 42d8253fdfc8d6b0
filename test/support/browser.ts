import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium, installed by .ci/run with apt-get; a browser is never downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/** Browser tests run where Chromium is installed, and always in CI (where its absence is a failure). */
export const browserTestsEnabled = existsSync(CHROMIUM) || process.env.CI === 'true';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A Chromium with a fresh profile of its own (so two of them are two different people). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'glimpse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
