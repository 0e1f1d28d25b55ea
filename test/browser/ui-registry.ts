// The registry the browser tests look at: the in-process app (test/helpers/app.ts) on a loopback port, filled
// by real pushes through the API — sample packs shaped like real ones, two versions of one pack to compare,
// a hostile pack whose every text is an attack, and enough small packs to need a second list page.
import { expect } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { tarGzipFiles } from '../helpers/pack-builder.js';
import { pngImage } from '../helpers/png.js';

/** What a script in the page would set if any payload ran. */
export const PWNED_FLAG = '__pwned';

const payload = (tag: string) => `window.${PWNED_FLAG}='${tag}'`;

export const HOSTILE = {
  name: 'xss-probe',
  displayName: `<img src=x onerror="${payload('displayName')}">Probe`,
  readme: [
    '# Hostile README',
    '',
    `<script>${payload('script')}</script>`,
    '',
    `<img src="x" onerror="${payload('onerror')}">`,
    '',
    `[click me](javascript:${payload('javascript-link')})`,
    '',
    `[data link](data:text/html;base64,${Buffer.from(`<script>${payload('data')}</script>`).toString('base64')})`,
    '',
    `<a href="#" onclick="${payload('onclick')}">raw anchor</a>`,
    '',
    `<iframe src="javascript:${payload('iframe')}"></iframe>`,
    '',
    '![remote](https://tracker.example/pixel.png)',
    '',
    '[a fine link](https://example.org/docs)',
    '',
  ].join('\n'),
  values: `pack:\n  namespace: "</code></pre><script>${payload('values')}</script>"\n  note: "<img src=x onerror=${payload('values-img')}>"\n`,
  fileName: `docs/<img src=x onerror=${payload('file')}>.txt`,
};

/** Small generated packs, so the list has four pages (UI_PAGE_SIZE is 20). */
export const FILLER_PACKS = 56;

export function fillerName(index: number): string {
  return `filler-${String(index).padStart(3, '0')}`;
}

const FILLER_LAYERS = ['addon', 'cni', 'csi', 'os', 'k8s'];
const FILLER_CLOUDS = [['aws'], ['azure', 'aks'], ['vsphere'], ['all']];

export async function fillerArchive(index: number): Promise<Buffer> {
  const name = fillerName(index);
  const layer = FILLER_LAYERS[index % FILLER_LAYERS.length] as string;
  const packJson = {
    name,
    displayName: `Filler ${index}`,
    version: `1.${index % 3}.0`,
    layer,
    ...(layer === 'addon' ? { addonType: index % 2 === 0 ? 'monitoring' : 'logging' } : {}),
    cloudTypes: FILLER_CLOUDS[index % FILLER_CLOUDS.length],
    ...(index % 10 === 0 ? { group: 'lts' } : {}),
  };
  const files = new Map<string, Buffer>([
    ['pack.json', Buffer.from(JSON.stringify(packJson, null, 2))],
    ['values.yaml', Buffer.from(`pack:\n  namespace: ${name}\n`)],
    // An icon-sized logo (32×32, about 2 KB); the sample packs above carry 6–12 KB raster ones.
    ['logo.png', pngImage({ width: 32, height: 32, fill: 'gradient', seed: name })],
  ]);
  return tarGzipFiles(files, `${name}-1.0.0`);
}

export async function hostileArchive(): Promise<Buffer> {
  const files = new Map<string, Buffer>([
    ['pack.json', Buffer.from(JSON.stringify({ name: HOSTILE.name, displayName: HOSTILE.displayName, version: '1.0.0', layer: 'addon', addonType: `<b>${payload('addonType')}</b>`, cloudTypes: [`<svg onload=${payload('cloud')}>`] }))],
    ['values.yaml', Buffer.from(HOSTILE.values)],
    ['README.md', Buffer.from(HOSTILE.readme)],
    [HOSTILE.fileName, Buffer.from('hostile file name\n')],
  ]);
  return tarGzipFiles(files, null);
}

async function push(registry: TestApp, archive: Buffer, fields: Record<string, string> = {}): Promise<void> {
  const response = await pushArchive(registry, archive, fields);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

export interface UiRegistry {
  registry: TestApp;
}

/** A registry with the sample packs, two versions of hello-universe, the hostile pack and the filler packs. */
export async function startUiRegistry(options: { anonymousRead?: boolean; fillers?: number } = {}): Promise<TestApp> {
  const registry = await createTestApp({ env: options.anonymousRead ? { REGISTRY_AUTH_ANONYMOUS_READ: 'true' } : {} });
  for (const folder of ['akuity-agent-0.30.0-5.5.2026', 'antrea-1.9.0', 'elastic-stack-0.19.0', 'hello-universe-1.3.1']) {
    await push(registry, await packFixture(folder), { message: `first push of ${folder}` });
  }
  // A second version of hello-universe whose values.yaml and files differ from 1.3.1's.
  await push(
    registry,
    await packFixture('hello-universe-1.3.1', {
      editPackJson: (packJson) => void (packJson.version = '1.4.0'),
      extraFiles: { 'values.yaml': 'pack:\n  namespace: hello-universe\nmanifests:\n  hello-universe:\n    replicas: 3\n    port: 8080\n', 'docs/NOTES.md': '# Notes\n' },
      omit: ['schema.yaml'],
    }),
    { message: 'raise replicas to 3' },
  );
  await registry.put('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.4.0' }).expect(201);
  await push(registry, await hostileArchive(), { message: `<script>${payload('message')}</script>` });
  const fillers = options.fillers ?? FILLER_PACKS;
  for (let index = 0; index < fillers; index++) await push(registry, await fillerArchive(index));
  return registry;
}
