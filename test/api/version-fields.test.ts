// The version document carries what Palette keeps per pack version (docs/API.md, "Version fields"): pack.json
// fields at the top level, presets.yaml and schema.yaml as written, each chart's Chart.yaml facts; a broken
// presets.yaml is refused with its file and line; reindex keeps it all; /v1/packs filters by group and addonSubType.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { rebuildIndex } from '../../src/registry/maintenance.js';
import { parseVersionMetadata } from '../../src/registry/metadata.js';
import { versionDocument } from '../../src/registry/views.js';
import { FilesystemBlobStore } from '../../src/storage/blobs/filesystem.js';
import { FilesystemMetadataStore } from '../../src/storage/metadata/filesystem.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { fixtureFiles, packFixture } from '../helpers/archives.js';

let registry: TestApp;
beforeAll(async () => {
  registry = await createTestApp();
});

const read = (path: string) => registry.get(path).auth(ADMIN.user, ADMIN.password);

async function sampleText(folder: string, path: string): Promise<string> {
  const body = (await fixtureFiles(folder)).get(path);
  if (!body) throw new Error(`${folder} has no ${path}`);
  return body.toString('utf8');
}

describe('the version document', () => {
  it('carries pack.json fields, presets.yaml and schema.yaml as written', async () => {
    const pushed = await pushArchive(registry, await packFixture('hello-universe-1.3.1')).expect(201);
    const document = (await read(`/v1/packs/${pushed.body.name}/1.3.1`).expect(200)).body;
    expect(document).toMatchObject({
      displayName: 'Hello Universe',
      layer: 'addon',
      type: null,
      group: null,
      addonType: 'app services',
      addonSubType: null,
      cloudTypes: ['all'],
      eol: null,
      annotations: { source: 'community', contributor: 'spectrocloud' },
      kubeManifests: ['manifests/hello-universe.yaml'],
      charts: [],
      presets: await sampleText('hello-universe-1.3.1', 'presets.yaml'),
      schema: await sampleText('hello-universe-1.3.1', 'schema.yaml'),
    });
    // The push's answer is the same document.
    expect(pushed.body.presets).toBe(document.presets);
  });

  it("reads each chart's name, version and appVersion from the Chart.yaml inside its archive", async () => {
    const akuity = (await pushArchive(registry, await packFixture('akuity-agent-0.30.0-5.5.2026')).expect(201)).body;
    expect(akuity).toMatchObject({
      group: null,
      eol: null,
      presets: null,
      schema: await sampleText('akuity-agent-0.30.0-5.5.2026', 'schema.yaml'),
      charts: [{ path: expect.stringMatching(/^charts\/.+\.tgz$/), name: 'akuity-agent', version: '0.30.0-5.5.2026', appVersion: '0.30.0' }],
    });
    const oam = (await pushArchive(registry, await packFixture('oam-app-controller-0.0.3')).expect(201)).body;
    expect(oam.charts).toHaveLength(3);
    for (const chart of oam.charts) {
      expect(chart.name).toEqual(expect.any(String));
      expect(chart.version).toEqual(expect.any(String));
      expect(chart.path).toContain(`${chart.name}-${chart.version}`);
    }
  });

  it('keeps eol, annotations, addonSubType and type as pack.json writes them', async () => {
    const archive = await packFixture('permission-manager-1.0.0', {
      editPackJson: (packJson) => Object.assign(packJson, { version: '1.0.1', eol: ' 2026-01-01 ', addonSubType: 'rbac', type: 'spectro', annotations: { a: 'b' } }),
    });
    const body = (await pushArchive(registry, archive).expect(201)).body;
    expect(body).toMatchObject({ eol: '2026-01-01', addonSubType: 'rbac', type: 'spectro', annotations: { a: 'b' } });
  });

  it('refuses a broken presets.yaml with 400 PACK_INVALID naming the file and line of every problem', async () => {
    const broken = 'presets:\n  - name: ""\n    remove: oops\n  - name: fine\n    add: |\n      a: [\n';
    const response = await pushArchive(registry, await packFixture('kubevious-1.0.10', { extraFiles: { 'presets.yaml': broken } })).expect(400);
    const errors = response.body.errors as { code: string; message: string; detail: { rule: string; path?: string } }[];
    expect(errors.map((error) => [error.code, error.detail.rule, error.detail.path])).toEqual([
      ['PACK_INVALID', 'presets-yaml-structure', 'presets.yaml'],
      ['PACK_INVALID', 'presets-yaml-structure', 'presets.yaml'],
      ['PACK_INVALID', 'presets-yaml-structure', 'presets.yaml'],
    ]);
    expect(errors.map((error) => /at line (\d+)/.exec(error.message)?.[1])).toEqual(['2', '3', '5']);
    expect((await read('/v1/packs/kubevious').expect(404)).body.errors[0].code).toBeDefined();
  });

  it('refuses a schema.yaml that is not YAML', async () => {
    const response = await pushArchive(registry, await packFixture('kubevious-1.0.10', { extraFiles: { 'schema.yaml': 'a: b: c\n' } })).expect(400);
    expect(response.body.errors[0]).toMatchObject({ code: 'PACK_INVALID', detail: { rule: 'schema-yaml-syntax', path: 'schema.yaml' } });
    expect(response.body.errors[0].message).toMatch(/^schema\.yaml: .*line 1/);
  });
});

describe('reindex', () => {
  it('restores presets, schema and charts from the metadata documents', async () => {
    const live = (await read('/v1/packs/akuity-agent/0.30.0-5.5.2026').expect(200)).body;
    const hello = (await read('/v1/packs/hello-universe/1.3.1').expect(200)).body;
    const root = join(registry.dir, 'storage');
    const db = new SqliteIndex(':memory:');
    try {
      const report = await rebuildIndex(db, { blobs: await FilesystemBlobStore.open(root), metadata: new FilesystemMetadataStore(root) });
      expect(report.skipped).toEqual([]);
      for (const before of [live, hello]) {
        const record = await db.versionByString(before.name, before.version);
        if (!record) throw new Error(`${before.name} ${before.version} was not restored`);
        const after = versionDocument(record, await db.tagsOfVersion(record.id), undefined);
        for (const field of ['presets', 'schema', 'charts', 'eol', 'annotations', 'addonSubType', 'kubeManifests', 'group']) {
          expect([field, after[field as keyof typeof after]]).toEqual([field, before[field]]);
        }
      }
    } finally {
      await db.close();
    }
  });
});

describe('metadata documents', () => {
  it('keep details, read a document written before them as details: null, and refuse a malformed one', async () => {
    const file = join(registry.dir, 'storage', 'metadata', 'akuity-agent', '0.30.0-5.5.2026.json');
    const document = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(document.details).toMatchObject({ presets: null, schema: expect.any(String), charts: [expect.objectContaining({ name: 'akuity-agent' })] });
    const { details: _details, ...older } = document;
    const parsed = parseVersionMetadata(older);
    expect(parsed.ok && parsed.metadata.details).toBe(null);
    const bad = parseVersionMetadata({ ...document, details: { presets: 1, schema: null, charts: [] } });
    expect(bad).toEqual({ ok: false, problem: 'details must be {presets, schema, charts} or null' });
  });
});

describe('GET /v1/packs filters', () => {
  it('filters by group (any version) and by addonSubType (latest version)', async () => {
    await pushArchive(registry, await packFixture('nfs-subdir-external-4.0.13', { editPackJson: (packJson) => Object.assign(packJson, { group: 'Edge', addonSubType: 'storage-nfs' }) })).expect(201);
    const names = async (query: string) => ((await read(`/v1/packs?${query}`).expect(200)).body.packs as { name: string }[]).map((pack) => pack.name);
    expect(await names('group=Edge')).toEqual(['csi-nfs-subdir-external']);
    expect(await names('group=Nowhere')).toEqual([]);
    expect(await names('addonSubType=rbac')).toEqual(['permission-manager']);
    expect(await names('addonSubType=storage-nfs&group=Edge')).toEqual(['csi-nfs-subdir-external']);
    expect(await names('addonSubType=rbac&group=Edge')).toEqual([]);
    expect((await read('/v1/packs?group=a&group=b').expect(400)).body.errors[0].code).toBe('QUERY_INVALID');
    expect((await read('/v1/packs?expand=versions&addonSubType=rbac').expect(200)).body.packs).toHaveLength(1);
  });
});
