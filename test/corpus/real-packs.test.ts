// The corpus tier: every real pack in the corpus folder (test/helpers/corpus.ts says where) goes through the
// pack rules — pack.json, values.yaml, the archive walk under a top folder and at the root — and each must
// pass with exactly its files listed. The unit tier proves the same on synthetic samples shaped like these
// packs; this tier proves the samples did not miss what real authors actually write.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inspectArchive } from '../../src/packs/archive.js';
import { parsePackJson } from '../../src/packs/pack-json.js';
import type { InspectedPack } from '../../src/packs/types.js';
import { checkValuesYaml, nestingBound } from '../../src/packs/values-yaml.js';
import { sha256Hex } from '../helpers/archives.js';
import { CORPUS_SKIP_REASON, corpusPackFiles, findPackCorpus } from '../helpers/corpus.js';
import { tarGzipFiles } from '../helpers/pack-builder.js';
import { REAL_PACK_FACTS } from '../helpers/real-pack-facts.js';
import { samplePack } from '../helpers/sample-packs.js';

const corpus = findPackCorpus();
const LIMITS = { maxEntries: 10_000, maxUnpackedSize: 2 * 1024 ** 3 };

async function inspectOk(archive: Buffer): Promise<InspectedPack> {
  const result = await inspectArchive(Readable.from([archive]), LIMITS);
  if (!result.ok) throw new Error(`expected the archive to be accepted: ${JSON.stringify(result.problems, null, 2)}`);
  return result.pack;
}

const title = corpus ? `real packs in ${corpus.dir}` : `real packs in PACK_CORPUS_DIR (${CORPUS_SKIP_REASON})`;

describe.skipIf(!corpus)(title, () => {
  const packs = corpus?.packs ?? [];

  it('holds packs to test', () => {
    expect(packs.length).toBeGreaterThan(0);
  });

  it('holds every pack the facts table describes, so none went missing', () => {
    // A corpus of other packs (PACK_CORPUS_DIR pointing elsewhere) has no table to miss.
    const known = Object.keys(REAL_PACK_FACTS);
    if (!packs.some((folder) => known.includes(folder))) return;
    expect(packs).toEqual(expect.arrayContaining(known));
  });

  it('holds the same hello-universe-pack as the copy kept in the repository, byte for byte', async (context) => {
    if (!packs.includes('hello-universe-pack')) context.skip();
    const copy = await samplePack('hello-universe-pack').files();
    const real = await corpusPackFiles(corpus!, 'hello-universe-pack');
    expect([...copy.keys()]).toEqual([...real.keys()]);
    for (const [path, bytes] of real) expect(copy.get(path)?.equals(bytes), path).toBe(true);
  });

  describe.each(packs)('%s', (folder) => {
    const files = () => corpusPackFiles(corpus!, folder);

    it('has a pack.json that parsePackJson accepts, its charts and manifests present', async () => {
      const pack = await files();
      const result = parsePackJson(pack.get('pack.json')?.toString('utf8') ?? '', new Set(pack.keys()));
      expect(result.problems).toEqual([]);
      expect(result.manifest).toBeDefined();
    });

    it('has a values.yaml that checkValuesYaml accepts, nested well below the limit', async () => {
      const values = (await files()).get('values.yaml')?.toString('utf8');
      expect(values).toBeDefined();
      expect(checkValuesYaml(values ?? '')).toEqual([]);
      expect(nestingBound(values ?? '')).toBeLessThan(30);
    });

    it('is accepted under one top-level folder, with the name, version, layer, charts and manifests expected', async () => {
      const pack = await inspectOk(await tarGzipFiles(await files(), folder));
      expect(pack.rootPrefix).toBe(`${folder}/`);
      const want = REAL_PACK_FACTS[folder];
      if (!want) return;
      expect(pack.manifest).toMatchObject({ name: want.name, version: want.version, normalizedVersion: want.normalizedVersion, layer: want.layer });
      expect(pack.manifest.group).toBe(want.group);
      expect(pack.manifest.charts).toHaveLength(want.charts);
      expect(pack.manifest.kubeManifests).toHaveLength(want.kubeManifests);
    });

    it('is accepted with its files at the archive root, with the same content digest and file list', async () => {
      const pack = await files();
      const atRoot = await inspectOk(await tarGzipFiles(pack, null));
      const inFolder = await inspectOk(await tarGzipFiles(pack, folder));
      expect(atRoot.rootPrefix).toBe('');
      expect(atRoot.contentDigest).toBe(inFolder.contentDigest);
      expect(atRoot.files).toEqual(inFolder.files);
    });

    it('lists every file, hidden ones included, with its size and SHA-256, sorted by path', async () => {
      const pack = await files();
      const inspected = await inspectOk(await tarGzipFiles(pack, folder));
      expect(inspected.files.map((file) => file.path)).toEqual([...pack.keys()]);
      for (const file of inspected.files) {
        const bytes = pack.get(file.path) ?? Buffer.alloc(0);
        expect(file.size, file.path).toBe(bytes.length);
        expect(file.sha256, file.path).toBe(sha256Hex(bytes));
      }
    });
  });
});
