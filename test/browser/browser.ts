// Debian's chromium driven by playwright-core: launched from its own executable (nothing is downloaded), with
// a fresh profile per launch, closed when the test file ends.
import { chromium as playwright, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { whenDone } from '../helpers/cleanup.js';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(executablePath: string): Promise<Browser> {
  const browser = await playwright.launch({ executablePath, args: ARGS, headless: true });
  whenDone(() => browser.close());
  return browser;
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** CSP violations the page reported (`securitypolicyviolation` events, and console messages about CSP). */
  violations: string[];
  /** Requests to any origin but the registry's that were sent (not blocked by the CSP before leaving). */
  foreignRequests: string[];
  /** Uncaught errors in the page. */
  pageErrors: string[];
}

/**
 * A new context (its own cookies and credentials) and page that records what the tests assert on: CSP
 * violations, requests leaving the registry's origin, and errors thrown by the page's script.
 */
export async function openPage(browser: Browser, origin: string, credentials?: { username: string; password: string }): Promise<WatchedPage> {
  const context = await browser.newContext({ ...(credentials ? { httpCredentials: credentials } : {}), viewport: { width: 1280, height: 900 } });
  whenDone(() => context.close());
  const page = await context.newPage();
  const watched: WatchedPage = { page, context, violations: [], foreignRequests: [], pageErrors: [] };
  await page.exposeFunction('__reportViolation', (text: string) => void watched.violations.push(text));
  // Runs before any of the page's own code; an init script is the test harness's, not the page's.
  // (A string: the tests compile without the DOM's types.)
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (event) => window.__reportViolation(event.violatedDirective + ' ' + event.blockedURI));",
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) watched.violations.push(message.text());
  });
  page.on('pageerror', (error) => void watched.pageErrors.push(error.message));
  const foreign = (url: string) => !url.startsWith(origin) && !url.startsWith('data:');
  page.on('requestfinished', (request) => {
    if (foreign(request.url())) watched.foreignRequests.push(request.url());
  });
  page.on('requestfailed', (request) => {
    if (foreign(request.url()) && !/^csp$|BLOCKED_BY_CSP/.test(request.failure()?.errorText ?? '')) watched.foreignRequests.push(`${request.url()} (${request.failure()?.errorText ?? ''})`);
  });
  return watched;
}
