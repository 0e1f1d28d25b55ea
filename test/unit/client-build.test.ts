// packctl pack build, in process: the images read from a chart's values in their usual shapes, the pack.json
// and values.yaml written, the registry's own inspection of the result, the refusal to overwrite, and
// hostile charts (links, `..`, a gzip bomb) refused without anything written.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Parser } from 'tar';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { addonTypeOf, buildPack, displayNameOf, DEFAULT_ADDON_TYPE } from '../../src/client/commands/build.js';
import { packDirectory } from '../../src/client/archive.js';
import { CliError, EXIT } from '../../src/client/errors.js';
import { CHART_LIMITS, imagesInValues, parseChartYaml } from '../../src/client/helm-chart.js';
import { CLIENT_LIMITS } from '../../src/client/validate.js';
import { inspectArchive } from '../../src/packs/index.js';
import { makeTempDir } from '../helpers/files.js';
import { chartArchive, chartFiles, gzipPinned, type ChartSpec } from '../helpers/pack-builder.js';
import { TAR_END, rawTarEntries } from '../helpers/raw-tar.js';

function images(values: string, appVersion?: string): string[] {
  return imagesInValues(parseDocument(values, { uniqueKeys: false }), appVersion);
}

const KUBEVIOUS_VALUES = [
  '# Default values for kubevious.',
  'nameOverride: "kubevious"',
  'backend:',
  '  image:',
  '    repository: kubevious/backend',
  '    tag: 1.0.9',
  '    pullPolicy: IfNotPresent',
  'ui:',
  '  image:',
  '    repository: kubevious/ui',
  '    tag: ""',
  'mysql:',
  '  image: "mysql:8.0.28"',
  '',
].join('\n');

const chart: ChartSpec = { name: 'kubevious', version: '1.0.10', appVersion: '1.0.9', templates: ['backend/deployment.yaml', 'ui/deployment.yaml'], values: KUBEVIOUS_VALUES, files: { 'README.md': '# Kubevious\n\nThe chart README.\n' } };

async function writeChartFolder(root: string, spec: ChartSpec, folder = spec.name): Promise<string> {
  const dir = join(root, folder);
  for (const [path, body] of chartFiles(spec)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return dir;
}

async function expectCliError(promise: Promise<unknown>, exitCode: number, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(exitCode);
  expect((error as CliError).message).toMatch(message);
}

async function tarPaths(path: string): Promise<string[]> {
  const paths: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({ strict: true, onReadEntry: (entry) => (paths.push(entry.path), entry.resume()) });
    parser.on('end', () => resolve());
    parser.on('error', reject);
    createReadStream(path).pipe(parser);
  });
  return paths;
}

/** The registry's inspection of the built folder, as push runs it. */
async function inspectFolder(folder: string) {
  const archive = join(await makeTempDir('build-archive-'), 'pack.tar.gz');
  await packDirectory(folder, archive);
  return inspectArchive(createReadStream(archive), CLIENT_LIMITS);
}

describe('the images of a chart’s values', () => {
  it('reads image mappings (repository + tag) and references (repo:tag), in file order, without duplicates', () => {
    expect(images(KUBEVIOUS_VALUES, '1.0.9')).toEqual(['kubevious/backend:1.0.9', 'kubevious/ui:1.0.9', 'mysql:8.0.28']);
  });

  it('joins registry, repository, tag and digest; an empty tag is the chart’s appVersion; no appVersion leaves it off', () => {
    const values = ['image:', '  registry: docker.io', '  repository: bitnami/nginx', '  tag: "1.25.3"', 'sidecar:', '  image:', '    repository: busybox', '    digest: sha256:abc', ''].join('\n');
    expect(images(values)).toEqual(['docker.io/bitnami/nginx:1.25.3', 'busybox@sha256:abc']);
    expect(images('image:\n  repository: quay.io/x/y\n  tag: ""\n', '2.1.0')).toEqual(['quay.io/x/y:2.1.0']);
    expect(images('image:\n  repository: quay.io/x/y\n')).toEqual(['quay.io/x/y']);
  });

  it('keeps a tag as written (1.10 is not the number 1.1), finds initImage and images inside lists', () => {
    const values = ['controller:', '  image:', '    repository: ghcr.io/fluxcd/helm-controller', '    tag: 1.10', '  initImage: "busybox:1.36"', 'extraContainers:', '  - name: a', '    image: "nginx:1.25"', '  - name: b', '    image:', '      repository: redis', '      tag: 7', ''].join('\n');
    expect(images(values)).toEqual(['ghcr.io/fluxcd/helm-controller:1.10', 'busybox:1.36', 'nginx:1.25', 'redis:7']);
  });

  it('skips templates, blanks, non-images and aliases', () => {
    const values = ['image: "{{ .Values.registry }}/app:1"', 'other:', '  image: ""', 'pullPolicy: IfNotPresent', 'base: &base', '  image: "a:1"', 'copy: *base', 'imagePullSecrets: []', ''].join('\n');
    expect(images(values)).toEqual(['a:1']);
  });
});

describe('Chart.yaml and pack.json fields', () => {
  it('refuses a chart name or version that could leave charts/ as a file name', async () => {
    await expect(parseChartYaml('name: ../evil\nversion: 1.0.0\n', 'x')).rejects.toThrow(/no usable name/);
    await expect(parseChartYaml('name: ok\nversion: ../../1\n', 'x')).rejects.toThrow(/no usable version/);
  });

  it('chooses the addon type from the keywords, "system app" otherwise, and a display name from the pack name', async () => {
    expect(addonTypeOf(await parseChartYaml('name: a\nversion: 1.0.0\nkeywords: [kubernetes, prometheus]\n', 'x'))).toBe('monitoring');
    expect(addonTypeOf(await parseChartYaml('name: a\nversion: 1.0.0\n', 'x'))).toBe(DEFAULT_ADDON_TYPE);
    expect(displayNameOf('my-awesome_pack')).toBe('My Awesome Pack');
  });
});

describe('packctl pack build (in process)', () => {
  it('builds a pack from a chart folder that passes the registry’s inspection, the chart archived as helm package does', async () => {
    const target = await makeTempDir('build-folder-');
    await writeChartFolder(target, chart);
    const { packJson, written } = await buildPack('kubevious', target);

    expect(packJson).toEqual({
      addonType: DEFAULT_ADDON_TYPE,
      annotations: {},
      charts: ['charts/kubevious-1.0.10.tgz'],
      cloudTypes: ['all'],
      displayName: 'Kubevious',
      layer: 'addon',
      name: 'kubevious',
      version: '1.0.10',
    });
    expect(written).toEqual(['charts/kubevious-1.0.10.tgz', 'README.md', 'values.yaml', 'pack.json']);
    expect(JSON.parse(await readFile(join(target, 'pack.json'), 'utf8'))).toEqual(packJson);
    const values = await readFile(join(target, 'values.yaml'), 'utf8');
    expect(values).toContain('pack:\n  # The namespace on the target cluster to install the charts in.\n  namespace: "kubevious"\n');
    expect(values).toContain('    images:\n      - image: "kubevious/backend:1.0.9"\n      - image: "kubevious/ui:1.0.9"\n      - image: "mysql:8.0.28"\n');
    // The chart's values as written, comments kept, under charts.<name>.
    expect(values).toContain('\ncharts:\n  kubevious:\n    # Default values for kubevious.\n    nameOverride: "kubevious"\n    backend:\n');
    expect(parseDocument(values).toJS()).toMatchObject({ charts: { kubevious: { backend: { image: { tag: '1.0.9' } } } } });
    expect(await readFile(join(target, 'README.md'), 'utf8')).toBe('# Kubevious\n\nThe chart README.\n');

    const paths = await tarPaths(join(target, 'charts/kubevious-1.0.10.tgz'));
    expect(paths.slice(0, 2)).toEqual(['kubevious/Chart.yaml', 'kubevious/values.yaml']);
    expect(paths.every((path) => path.startsWith('kubevious/'))).toBe(true);
    const inspection = await inspectFolder(target);
    expect(inspection.ok).toBe(true);
  });

  it('builds from a chart .tgz at the top of TARGET_DIR, moving it to charts/, with a README from Chart.yaml’s description', async () => {
    const target = await makeTempDir('build-archive-');
    const plain: ChartSpec = { name: 'hello', version: '0.3.1', templates: ['deployment.yaml'], values: 'image:\n  repository: ghcr.io/acme/hello\n  tag: v0.3.1\n' };
    await writeFile(join(target, 'hello-0.3.1.tgz'), chartArchive(plain));
    const { packJson } = await buildPack('hello-pack', target);

    expect(packJson).toMatchObject({ name: 'hello-pack', displayName: 'Hello Pack', version: '0.3.1', charts: ['charts/hello-0.3.1.tgz'] });
    expect((await readdir(target)).sort()).toEqual(['README.md', 'charts', 'pack.json', 'values.yaml']);
    expect(await readFile(join(target, 'charts/hello-0.3.1.tgz'))).toEqual(chartArchive(plain));
    expect(await readFile(join(target, 'README.md'), 'utf8')).toBe('# Hello Pack\n\nA Helm chart for hello\n');
    expect(await readFile(join(target, 'values.yaml'), 'utf8')).toContain('      - image: "ghcr.io/acme/hello:v0.3.1"\n');
    expect((await inspectFolder(target)).ok).toBe(true);
  });

  it('refuses to overwrite an existing pack with CONFLICT and changes nothing; --force rebuilds', async () => {
    const target = await makeTempDir('build-again-');
    await writeChartFolder(target, chart);
    await buildPack('kubevious', target);
    const before = await Promise.all(['pack.json', 'values.yaml', 'charts/kubevious-1.0.10.tgz'].map((path) => stat(join(target, path))));

    await expectCliError(buildPack('kubevious', target), EXIT.CONFLICT, /pack\.json, values\.yaml, charts\/kubevious-1\.0\.10\.tgz already exist.*--force/);
    const after = await Promise.all(['pack.json', 'values.yaml', 'charts/kubevious-1.0.10.tgz'].map((path) => stat(join(target, path))));
    expect(after.map((file) => file.mtimeMs)).toEqual(before.map((file) => file.mtimeMs));

    // --force rebuilds from the folder, rewriting its archive under charts/.
    expect((await buildPack('kubevious', target, { force: true })).written).toEqual(['charts/kubevious-1.0.10.tgz', 'values.yaml', 'pack.json']);
    expect((await inspectFolder(target)).ok).toBe(true);

    await writeFile(join(target, 'kubevious/Chart.yaml'), (await readFile(join(target, 'kubevious/Chart.yaml'), 'utf8')).replace('version: 1.0.10', 'version: 1.0.11'));
    // The old archive under charts/ names the same chart as the folder, in another version: ambiguous.
    await expectCliError(buildPack('kubevious', target, { force: true }), EXIT.USAGE, /more than one chart named kubevious/);
  });

  it('refuses TARGET_DIR that is itself a chart, a folder without a chart, and a chart version no pack may have', async () => {
    const target = await makeTempDir('build-refusals-');
    const inside = await writeChartFolder(target, chart);
    await expectCliError(buildPack('kubevious', inside), EXIT.USAGE, /is itself a chart folder/);
    await expectCliError(buildPack('kubevious', await makeTempDir('build-empty-')), EXIT.USAGE, /no Helm chart/);
    const odd = await makeTempDir('build-odd-version-');
    await writeChartFolder(odd, { ...chart, version: 'latest' });
    await expectCliError(buildPack('kubevious', odd), EXIT.INVALID_PACK, /not a version a pack may have/);
    expect(await readdir(odd)).toEqual(['kubevious']);
    await expectCliError(buildPack('../x', odd), EXIT.USAGE, /not a valid pack name/);
  });

  it('refuses hostile chart archives (a link, a `..` path, a gzip bomb) and links in a chart folder, writing nothing', async () => {
    const cases: Array<[string, Buffer]> = [
      ['link', gzipPinned(Buffer.concat([rawTarEntries([{ path: 'evil/Chart.yaml', body: 'name: evil\nversion: 1.0.0\n' }, { path: 'evil/values.yaml', type: 'symlink', linkpath: '/etc/passwd' }]), TAR_END]))],
      ['traversal', gzipPinned(Buffer.concat([rawTarEntries([{ path: 'evil/Chart.yaml', body: 'name: evil\nversion: 1.0.0\n' }, { path: 'evil/../../escape.txt', body: 'x' }]), TAR_END]))],
      ['bomb', gzipPinned(Buffer.concat([rawTarEntries([{ path: 'evil/Chart.yaml', body: 'name: evil\nversion: 1.0.0\n' }, { path: 'evil/big.bin', body: Buffer.alloc(CHART_LIMITS.maxUnpackedSize + 1024) }]), TAR_END]))],
    ];
    for (const [name, archive] of cases) {
      const target = await makeTempDir(`build-hostile-${name}-`);
      await writeFile(join(target, 'evil-1.0.0.tgz'), archive);
      await expectCliError(buildPack('evil', target), EXIT.INVALID_PACK, /not a chart archive packctl can read/);
      expect(await readdir(target)).toEqual(['evil-1.0.0.tgz']);
    }
    const target = await makeTempDir('build-hostile-folder-');
    const folder = await writeChartFolder(target, chart);
    await symlink('/etc/passwd', join(folder, 'templates/passwd.yaml'));
    await expectCliError(buildPack('kubevious', target), EXIT.INVALID_PACK, /not a regular file or folder/);
    expect(await readdir(target)).toEqual(['kubevious']);
  });
});
