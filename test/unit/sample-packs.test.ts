// The sample packs are what they claim to be: charts that are real gzipped Helm chart tars, logos that are
// real PNGs, and the same bytes on every build — the other tests' digests and sizes rest on it.
import { inflateSync, crc32 } from 'node:zlib';
import { Parser } from 'tar';
import { describe, expect, it } from 'vitest';
import { extraFixtureNames, fixtureFiles, fixtureNames, packFixture } from '../helpers/archives.js';
import { chartArchive, type ChartSpec } from '../helpers/pack-builder.js';
import { PNG_SIGNATURE, pngImage } from '../helpers/png.js';
import { LARGE_PAYLOAD_BYTES, samplePack } from '../helpers/sample-packs.js';

const ALL_SAMPLES = [...fixtureNames(), ...extraFixtureNames()];

/** The entry paths of a .tgz, read by node-tar's strict parser. */
function tarEntries(tgz: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const paths: string[] = [];
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        paths.push(entry.path);
        entry.resume();
      },
    });
    parser.on('end', () => resolve(paths));
    parser.on('error', reject);
    parser.end(tgz);
  });
}

interface DecodedPng {
  width: number;
  height: number;
  pixelBytes: number;
}

/** Walks the chunks, checking each CRC, and inflates IDAT: what an image decoder does before drawing. */
function decodePng(bytes: Buffer): DecodedPng {
  expect(bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const typeAndData = bytes.subarray(offset + 4, offset + 8 + length);
    const type = typeAndData.subarray(0, 4).toString('latin1');
    expect(bytes.readUInt32BE(offset + 8 + length), `CRC of ${type}`).toBe(crc32(typeAndData));
    const data = typeAndData.subarray(4);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    }
    if (type === 'IDAT') idat.push(data);
    types.push(type);
    offset += 12 + length;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  return { width, height, pixelBytes: inflateSync(Buffer.concat(idat)).length };
}

describe('the sample packs', () => {
  it.each(ALL_SAMPLES)('%s: every chart pack.json lists is a gzipped tar of a Helm chart', async (folder) => {
    const files = await fixtureFiles(folder);
    const charts = (JSON.parse(files.get('pack.json')?.toString('utf8') ?? '{}') as { charts?: string[] }).charts ?? [];
    for (const path of charts) {
      const tgz = files.get(path);
      expect(tgz, path).toBeDefined();
      const entries = await tarEntries(tgz ?? Buffer.alloc(0));
      const chart = entries[0]?.split('/')[0] ?? '';
      expect(entries.slice(0, 2), path).toEqual([`${chart}/Chart.yaml`, `${chart}/values.yaml`]);
      expect(entries.every((entry) => entry.startsWith(`${chart}/`)), path).toBe(true);
      expect(entries.some((entry) => /\/templates\/.+\.yaml$/.test(entry) || /\/charts\/[^/]+/.test(entry)), path).toBe(true);
    }
  });

  it.each(ALL_SAMPLES)('%s: logo.png is a PNG that decodes to width × height RGBA pixels', async (folder) => {
    const logo = (await fixtureFiles(folder)).get('logo.png');
    if (!logo) return;
    const { width, height, pixelBytes } = decodePng(logo);
    expect(width).toBeGreaterThan(0);
    expect(pixelBytes).toBe((width * 4 + 1) * height);
  });

  it('has the shapes real packs have: hidden files, leftovers, nested chart archives, blank and empty fields', async () => {
    const paths = async (folder: string) => [...(await fixtureFiles(folder)).keys()];
    expect(await paths('antrea-1.9.0')).toEqual(expect.arrayContaining(['charts/antrea/.helmignore', 'charts/antrea-1.9.0.tgz', 'logo.png', 'README.md']));
    expect(await paths('kubevious-1.0.10')).toContain('charts/kubevious-1.0.10.tgz.orig');
    expect(await paths('outcold-26.04.4')).toContain('charts/collectord-splunk-kubernetes/charts/collectord-2604.4.0.tgz');
    expect(await paths('logo-and-docs-2.0')).toEqual(expect.arrayContaining(['charts/.gitkeep', 'presets.yaml', 'schema.yaml']));
    expect((await fixtureFiles('kubeflow-pipelines-1.5.0')).get('values.yaml')?.length).toBe(0);
    expect((await paths('many-files-1.0.0')).length).toBeGreaterThan(400);
    const akuity = JSON.parse((await fixtureFiles('akuity-agent-0.30.0-5.5.2026')).get('pack.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
    expect(akuity).toMatchObject({ group: ' ', eol: ' ', kubeManifests: [] });
  });

  it('has a 5 MB sample whose chart does not compress, built once per process', async () => {
    const sample = samplePack('large-payload-1.0.0');
    expect(await sample.files()).toBe(await sample.files());
    const archive = await packFixture('large-payload-1.0.0');
    expect(archive.length).toBeGreaterThan(LARGE_PAYLOAD_BYTES);
    expect(archive.length).toBeLessThan(LARGE_PAYLOAD_BYTES * 1.05);
  });

  it('gives the same bytes for the same input: chart archives, PNGs and pack archives', async () => {
    const chart: ChartSpec = { name: 'demo', version: '1.0.0', templates: ['deployment.yaml', 'service.yaml'], payloadBytes: 1000 };
    expect(chartArchive(chart).equals(chartArchive({ ...chart }))).toBe(true);
    expect(pngImage({ width: 8, height: 8, fill: 'noise', seed: 's' }).equals(pngImage({ width: 8, height: 8, fill: 'noise', seed: 's' }))).toBe(true);
    for (const folder of ['elastic-stack-0.19.0', 'hello-universe-pack']) {
      expect((await packFixture(folder)).equals(await packFixture(folder)), folder).toBe(true);
      expect((await packFixture(folder, { topDir: null })).equals(await packFixture(folder, { topDir: null })), folder).toBe(true);
    }
  });
});
