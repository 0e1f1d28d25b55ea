// The web UI in a real browser: Debian's chromium, driven by playwright-core, against the registry composed
// exactly as the server composes it (in process, plain HTTP on loopback). Signs in, browses, filters, searches
// as it types, pages, opens versions, compares two, and proves a hostile pack renders inert under the CSP.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, makeTempDir, READER, type TestApp } from '../helpers/app.js';
import { available, chromium } from '../helpers/real-components.js';
import { launchChromium, openPage, type WatchedPage } from './browser.js';
import { FILLER_PACKS, HOSTILE, PWNED_FLAG, startUiRegistry } from './ui-registry.js';

const component = chromium();
const SAMPLE_PACKS = 4;
const TOTAL_PACKS = SAMPLE_PACKS + 1 + FILLER_PACKS;
const PAGE_SIZE = 20;
/** Set (to a folder) to refresh the screenshots committed under docs/images/. */
const SCREENSHOT_DIR_ENV = 'PACK_REGISTRY_UI_SCREENSHOTS';

const reader = { username: READER.user, password: READER.password };

describe.skipIf(!available(component))(`the web UI in Debian's chromium${component.path ? '' : ` (${component.skipReason})`}`, () => {
  let browser: Browser;
  let registry: TestApp;
  let shots: string;

  beforeAll(async () => {
    registry = await startUiRegistry();
    browser = await launchChromium(component.path as string);
    shots = await makeTempDir('pack-registry-ui-shots-');
  }, 180_000);

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
    const committed = process.env[SCREENSHOT_DIR_ENV];
    if (committed) {
      await mkdir(resolve(committed), { recursive: true });
      await page.screenshot({ path: join(resolve(committed), `${name}.png`), fullPage: false });
    }
  }

  const rows = (page: Page) => page.locator('#results tbody tr');
  const flag = (page: Page) => page.evaluate(`typeof window.${PWNED_FLAG} === 'undefined' ? null : String(window.${PWNED_FLAG})`);

  function expectClean(watched: WatchedPage): void {
    expect(watched.violations).toEqual([]);
    expect(watched.foreignRequests).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  }

  it('signs in with basic auth, lists the packs with their facts and pages through them', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    const response = await page.goto(`${registry.url}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => rows(page).count()).toBe(PAGE_SIZE);
    await expect(page.locator('header .user').textContent()).resolves.toContain(READER.user);
    const antrea = page.locator('tr[data-pack="antrea"]');
    await expect(antrea.textContent()).resolves.toMatch(/Antrea[\s\S]*antrea[\s\S]*1\.9\.0[\s\S]*cni[\s\S]*vsphere/);
    await expect(antrea.locator('img.logo').getAttribute('src')).resolves.toMatch(/^\/ui\/logos\/antrea\/sha256:[0-9a-f]{64}$/);
    await page.waitForLoadState('networkidle');
    // Every logo arrives, though the cache is cold and the file reader reads two archives at a time.
    const broken = () => page.evaluate("[...document.querySelectorAll('img.logo')].filter((image) => !(image.complete && image.naturalWidth > 0)).length");
    expect(await page.locator('img.logo').count()).toBe(PAGE_SIZE);
    await expect.poll(broken).toBe(0);
    await screenshot(page, 'pack-list');

    // By name: the three sample packs, then filler-000…; every page full but the last, each pack once.
    const seen: string[] = [];
    const pageSizes: number[] = [];
    for (;;) {
      const names = await rows(page).evaluateAll((items) => items.map((item) => item.getAttribute('data-pack') ?? ''));
      seen.push(...names);
      pageSizes.push(names.length);
      const next = page.locator('a[rel="next"]');
      if ((await next.count()) === 0) break;
      const url = page.url();
      await next.click();
      await expect.poll(() => page.url()).not.toBe(url);
      await expect.poll(() => page.url()).toBe(`${registry.url}/?last=${names.at(-1) ?? ''}`);
    }
    expect(pageSizes).toEqual([PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, TOTAL_PACKS - 3 * PAGE_SIZE]);
    expect(new Set(seen).size).toBe(TOTAL_PACKS);
    expect(seen).toEqual([...seen].sort());
    await expect(page.locator(`tr[data-pack="${HOSTILE.name}"]`).count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'First page' }).click();
    await expect.poll(() => rows(page).count()).toBe(PAGE_SIZE);
    expectClean(watched);
  });

  it('narrows the list as the name is typed, without reloading the page', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    await page.goto(`${registry.url}/`);
    await page.evaluate('window.__samePage = true');
    await page.locator('input[name="name"]').pressSequentially('hello', { delay: 40 });
    await expect.poll(() => rows(page).count()).toBe(1);
    await expect(rows(page).first().getAttribute('data-pack')).resolves.toBe('hello-universe');
    await expect.poll(() => page.url()).toBe(`${registry.url}/?name=hello`);
    await page.locator('input[name="name"]').fill('filler-01');
    await expect.poll(() => rows(page).count()).toBe(10);
    await page.locator('input[name="name"]').fill('no-such-pack');
    await expect.poll(() => page.locator('[data-empty]').count()).toBe(1);
    await expect(page.evaluate('window.__samePage')).resolves.toBe(true);
    expectClean(watched);
  });

  it('filters by layer, cloud type, addon type and group', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    await page.goto(`${registry.url}/`);
    const layers = async () => (await rows(page).locator('td:nth-child(4)').allTextContents()).map((text) => text.trim());

    await page.locator('select[name="layer"]').selectOption('cni');
    await expect.poll(async () => new Set(await layers())).toEqual(new Set(['cni']));
    // antrea, and every filler whose index is 1 modulo 5 (ui-registry.ts).
    expect(await rows(page).count()).toBe(1 + Array.from({ length: FILLER_PACKS }, (_, index) => index).filter((index) => index % 5 === 1).length);
    await page.locator('select[name="layer"]').selectOption('');

    await page.locator('select[name="group"]').selectOption('lts');
    await expect.poll(async () => (await rows(page).evaluateAll((items) => items.map((item) => item.getAttribute('data-pack')))).join(',')).toBe(
      'filler-000,filler-010,filler-020,filler-030,filler-040,filler-050',
    );
    await page.locator('select[name="group"]').selectOption('');

    await page.locator('select[name="cloudType"]').selectOption('aks');
    await page.locator('select[name="addonType"]').selectOption('logging');
    await expect.poll(() => page.url()).toContain('cloudType=aks');
    await expect.poll(() => page.url()).toContain('addonType=logging');
    const clouds = await rows(page).locator('td:nth-child(6)').allTextContents();
    expect(clouds.length).toBeGreaterThan(0);
    for (const cell of clouds) expect(cell).toMatch(/aks|all/);
    for (const cell of await rows(page).locator('td:nth-child(5)').allTextContents()) expect(cell.trim()).toBe('logging');
    // The same filters without the script: the form's own GET.
    const plain = await page.request.get(`${registry.url}/?cloudType=aks&addonType=logging`);
    expect(plain.status()).toBe(200);
    expectClean(watched);
  });

  it('shows a pack: versions with their tags (parent tags marked) and the push history with messages and users', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    await page.goto(`${registry.url}/packs/hello-universe`);
    const versions = await page.locator('table.versions tbody tr').evaluateAll((items) => items.map((item) => item.getAttribute('data-version')));
    expect(versions).toEqual(['1.4.0', '1.3.1']);
    const newest = page.locator('tr[data-version="1.4.0"]');
    await expect(newest.locator('.tag:not(.auto)').allTextContents()).resolves.toEqual(['1.4.0', 'stable']);
    await expect(newest.locator('.tag.auto').allTextContents()).resolves.toEqual(['1.4.x', '1.x']);
    await expect(page.locator('tr[data-version="1.3.1"] .tag.auto').allTextContents()).resolves.toEqual(['1.3.x']);
    const history = await page.locator('table.history tbody').textContent();
    expect(history).toContain('raise replicas to 3');
    expect(history).toContain('first push of hello-universe-1.3.1');
    expect(history).toMatch(/admin[\s\S]*tag-add[\s\S]*stable/);
    await screenshot(page, 'pack-page');
    expectClean(watched);
  });

  it('shows a version: README, highlighted YAML, charts, files with SHA-256, digest, commands with copy buttons, the archive link', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page, context } = watched;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: registry.url });
    await page.goto(`${registry.url}/packs/hello-universe`);
    await page.locator('tr[data-version="1.4.0"] a').first().click();
    await page.waitForURL(`${registry.url}/packs/hello-universe/1.4.0`);
    const document = (await registry.get('/v1/packs/hello-universe/1.4.0').auth(READER.user, READER.password).expect(200)).body as {
      digest: string;
      files: { path: string; sha256: string }[];
    };
    await expect(page.locator('.readme h1').first().textContent()).resolves.toContain('Hello Universe');
    await expect(page.locator('#yaml-values .hljs-attr').count()).resolves.toBeGreaterThan(3);
    await expect(page.locator('#yaml-presets .hljs-attr').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('#yaml-schema').count()).resolves.toBe(0);
    await expect(page.locator('#digest').textContent()).resolves.toBe(document.digest);
    for (const file of document.files) {
      await expect(page.locator(`tr[data-path="${file.path}"]`).textContent()).resolves.toContain(file.sha256);
    }
    await screenshot(page, 'version-page');

    const pull = 'packctl pack pull hello-universe:1.4.0 . -r ' + registry.url.replace('http://', '');
    await expect(page.locator('#cmd-packctl').textContent()).resolves.toBe(pull);
    await expect(page.locator('#cmd-curl').textContent()).resolves.toBe(`curl -fOJ -u reader ${registry.url}/v1/packs/hello-universe/1.4.0/archive`);
    await page.locator('button[data-copy="cmd-packctl"]').click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(pull);
    await expect(page.locator('button[data-copy="cmd-packctl"]').textContent()).resolves.toBe('Copied');

    const archive = await page.locator('a[download]').getAttribute('href');
    expect(archive).toBe('/v1/packs/hello-universe/1.4.0/archive');
    const download = await page.request.get(`${registry.url}${archive}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['pack-digest']).toBe(document.digest);

    // Charts: a pack with one.
    await page.goto(`${registry.url}/packs/antrea/1.9.0`);
    await expect(page.locator('table.charts').textContent()).resolves.toMatch(/charts\/antrea-1\.9\.0\.tgz[\s\S]*antrea[\s\S]*1\.9\.0/);
    expectClean(watched);
  });

  it('compares two versions: values.yaml line by line and the file list', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    await page.goto(`${registry.url}/packs/hello-universe`);
    await page.locator('form.compare select[name="from"]').selectOption('1.3.1');
    await page.locator('form.compare select[name="to"]').selectOption('1.4.0');
    await page.locator('form.compare button').click();
    await page.waitForURL(/\/packs\/hello-universe\/-\/diff\?from=1\.3\.1&to=1\.4\.0$/);
    const added = await page.locator('table.diff tr.added').allTextContents();
    expect(added.join('\n')).toContain('replicas: 3');
    expect(await page.locator('table.diff tr.removed').count()).toBeGreaterThan(0);
    const changes = Object.fromEntries(
      await page.locator('table.file-changes tbody tr').evaluateAll((items) =>
        items.map((item) => [item.querySelector('td.mono')?.textContent ?? '', item.getAttribute('data-change') ?? '']),
      ),
    );
    expect(changes).toMatchObject({ 'docs/NOTES.md': 'added', 'schema.yaml': 'removed', 'values.yaml': 'changed', 'pack.json': 'changed' });
    expect(changes['logo.png']).toBeUndefined();
    await screenshot(page, 'diff-page');
    expectClean(watched);
  });

  it('renders a hostile pack inert: README, names, values and file names are text, no payload runs, nothing leaves the origin', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    for (const path of ['/?name=xss', `/packs/${HOSTILE.name}`, `/packs/${HOSTILE.name}/1.0.0`]) {
      const response = await page.goto(`${registry.url}${path}`);
      expect(response?.status()).toBe(200);
      await page.waitForLoadState('networkidle');
      expect(await flag(page), path).toBeNull();
    }
    // On the version page: the payloads are visible as text, not as elements.
    await expect(page.locator('h1').first().textContent()).resolves.toContain('<img src=x onerror=');
    await expect(page.locator('.readme').textContent()).resolves.toContain('<script>');
    await expect(page.locator('.readme script, .readme iframe, .readme [onerror], .readme [onclick], main script').count()).resolves.toBe(0);
    await expect(page.locator('#yaml-values').textContent()).resolves.toContain('</code></pre><script>');
    await expect(page.locator(`tr[data-path="${HOSTILE.fileName}"]`).count()).resolves.toBe(1);
    // Links of the README: only the harmless one is a link, and it is marked nofollow/noopener.
    const links = await page.locator('.readme a').evaluateAll((items) => items.map((item) => [item.getAttribute('href'), item.getAttribute('rel')]));
    expect(links).toEqual([['https://example.org/docs', 'noopener noreferrer nofollow']]);
    // Clicking every element that looks clickable in the README runs nothing.
    for (const text of ['click me', 'data link', 'raw anchor']) {
      const target = page.getByText(text, { exact: false }).first();
      if (await target.count()) await target.click({ noWaitAfter: true });
    }
    expect(await flag(page)).toBeNull();
    // The README's remote image is the only thing the CSP stopped (the page's own resources are all allowed),
    // and it never became a request.
    expect(watched.violations.length).toBeGreaterThan(0);
    expect(watched.violations.every((violation) => /tracker\.example/.test(violation)), watched.violations.join('\n')).toBe(true);
    expect(watched.foreignRequests).toEqual([]);
    expect(watched.pageErrors).toEqual([]);
  });

  it('offers a reader no write controls (the UI is read-only for everyone)', async () => {
    for (const user of [reader, { username: ADMIN.user, password: ADMIN.password }]) {
      const watched = await openPage(browser, registry.url, user);
      const { page } = watched;
      for (const path of ['/', '/packs/hello-universe', '/packs/hello-universe/1.4.0', '/packs/hello-universe/-/diff?from=1.3.1&to=1.4.0']) {
        await page.goto(`${registry.url}${path}`);
        await expect(page.locator('form[method="post" i], input[type="file"], [data-action]').count()).resolves.toBe(0);
        const buttons = new Set((await page.locator('button').allTextContents()).map((text) => text.trim()));
        for (const button of buttons) expect(['Filter', 'Copy', 'Compare'], `${user.username} on ${path}`).toContain(button);
        await expect(page.getByText(/^(Delete|Push|Add tag|Remove tag)$/).count()).resolves.toBe(0);
      }
      expectClean(watched);
    }
  });

  it('keeps the first page light: its HTML, CSS, script and logos transfer less than 100 KB', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    // What crossed the wire for each answer: its headers as sent and its body as sent (Content-Length, which
    // every answer here carries: gzipped for the page, the stylesheet and the script).
    const transfers: { url: string; bytes: number }[] = [];
    const counted: Promise<void>[] = [];
    page.on('response', (response) => {
      counted.push(
        response.headersArray().then((headers) => {
          const headerBytes = headers.reduce((sum, header) => sum + header.name.length + header.value.length + 4, 0);
          transfers.push({ url: response.url(), bytes: headerBytes + Number(response.headers()['content-length'] ?? 0) });
        }),
      );
    });
    await page.goto(`${registry.url}/`);
    await page.waitForLoadState('networkidle');
    await Promise.all(counted);
    await expect.poll(() => transfers.length).toBeGreaterThan(3);
    const total = transfers.reduce((sum, transfer) => sum + transfer.bytes, 0);
    const own = transfers.filter((transfer) => !transfer.url.includes('/ui/logos/')).reduce((sum, transfer) => sum + transfer.bytes, 0);
    const logos = transfers.filter((transfer) => transfer.url.includes('/ui/logos/')).length;
    console.info(`first page: ${transfers.length} answers, ${total} bytes in all, ${own} bytes of HTML, CSS, script and icon, ${logos} of ${await page.locator('img.logo').count()} logos`);
    // Every logo of the page was fetched and counted whole, and so was the page itself.
    expect(logos).toBe(PAGE_SIZE);
    expect(transfers.some((transfer) => transfer.url === `${registry.url}/`)).toBe(true);
    expect(total).toBeLessThan(100 * 1024);
    expect(own).toBeLessThan(40 * 1024);
    expectClean(watched);
  });

  it('answers an unknown page with an HTML 404 and keeps the API’s JSON 404 under /v1', async () => {
    const watched = await openPage(browser, registry.url, reader);
    const { page } = watched;
    const missing = await page.goto(`${registry.url}/no/such/page`);
    expect(missing?.status()).toBe(404);
    expect(missing?.headers()['content-type']).toMatch(/^text\/html/);
    const unknownPack = await page.goto(`${registry.url}/packs/no-such-pack`);
    expect(unknownPack?.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe('Not found');
    const api = await page.request.get(`${registry.url}/v1/nothing/here`);
    expect(api.status()).toBe(404);
    expect(((await api.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('NOT_FOUND');
    expectClean(watched);
  });
});

describe.skipIf(!available(component))(`signing in to the web UI${component.path ? '' : ` (${component.skipReason})`}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(component.path as string);
  });

  it('asks for credentials with a 401 and the browser’s basic-auth prompt when anonymous reads are off', async () => {
    const registry = await startUiRegistry({ fillers: 0 });
    const watched = await openPage(browser, registry.url);
    // The challenge reaches the browser, which (having no credentials to answer with) gives up on the page.
    const challenge = await challengeOf(watched, `${registry.url}/`);
    expect(challenge).toEqual({ status: 401, header: 'Basic realm="Test Realm"' });
    // What the browser shows when the prompt is dismissed.
    const refused = await watched.page.request.get(`${registry.url}/packs/hello-universe`);
    expect(refused.status()).toBe(401);
    expect(refused.headers()['content-type']).toMatch(/^text\/html/);
    expect(await refused.text()).toContain('<h1>Sign in required</h1>');
    // Wrong credentials are refused too; right ones open the list.
    const wrong = await openPage(browser, registry.url, { username: READER.user, password: 'wrong' });
    expect((await challengeOf(wrong, `${registry.url}/`)).status).toBe(401);
    const right = await openPage(browser, registry.url, reader);
    expect((await right.page.goto(`${registry.url}/`))?.status()).toBe(200);
    expectNoViolations(right);
  });

  it('lets anyone read when auth.anonymous.read is on, and signs in on request', async () => {
    const registry = await startUiRegistry({ anonymousRead: true, fillers: 0 });
    const anonymous = await openPage(browser, registry.url);
    const response = await anonymous.page.goto(`${registry.url}/packs/hello-universe/1.4.0`);
    expect(response?.status()).toBe(200);
    await expect(anonymous.page.locator('header .user').textContent()).resolves.toContain('anonymous');
    await expect(anonymous.page.locator('#cmd-curl').textContent()).resolves.not.toContain(' -u ');
    await expect(anonymous.page.locator('a[href="/sign-in"]').count()).resolves.toBe(1);
    expect(await challengeOf(anonymous, `${registry.url}/sign-in`)).toEqual({ status: 401, header: 'Basic realm="Test Realm"' });

    // With credentials, the prompt's answer: /sign-in sends the reader home, signed in.
    const signedIn = await openPage(browser, registry.url, reader);
    await signedIn.page.goto(`${registry.url}/sign-in`);
    await signedIn.page.waitForURL(`${registry.url}/`);
    await expect(signedIn.page.locator('header .user').textContent()).resolves.toContain(READER.user);
    expectNoViolations(anonymous);
    expectNoViolations(signedIn);
  });
});

/** The status and WWW-Authenticate of a navigation's answer, whether or not the browser then shows a page. */
async function challengeOf(watched: WatchedPage, url: string): Promise<{ status: number; header: string | undefined }> {
  const answer = watched.page.waitForResponse(url);
  await watched.page.goto(url).catch(() => undefined);
  const response = await answer;
  return { status: response.status(), header: response.headers()['www-authenticate'] };
}

function expectNoViolations(watched: WatchedPage): void {
  expect(watched.violations).toEqual([]);
  expect(watched.pageErrors).toEqual([]);
}
