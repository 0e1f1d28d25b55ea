// The corpus tier through the API: every real pack is pushed to the registry (the app in this process,
// test/helpers/app.ts) and read back — its version document, its archive byte for byte, its values.yaml.
import { createHash } from 'node:crypto';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { CORPUS_SKIP_REASON, corpusPackFiles, findPackCorpus } from '../helpers/corpus.js';
import { tarGzipFiles } from '../helpers/pack-builder.js';

const corpus = findPackCorpus();
const title = corpus ? `pushing the real packs in ${corpus.dir}` : `pushing the real packs in PACK_CORPUS_DIR (${CORPUS_SKIP_REASON})`;

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The response body as bytes, whatever its content type. */
const asBytes = (test: request.Test) =>
  test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

describe.skipIf(!corpus)(title, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app?.destroy());

  it('has packs to push', () => {
    expect(corpus?.packs.length).toBeGreaterThan(0);
  });

  it.each(corpus?.packs ?? [])('stores %s with 201 and serves it back byte for byte', async (folder) => {
    const files = await corpusPackFiles(corpus!, folder);
    const archive = await tarGzipFiles(files, folder);
    const pushed = await pushArchive(app, archive).expect(201);
    expect(pushed.body.archiveDigest).toBe(sha256(archive));
    expect(pushed.body.size).toBe(archive.length);
    expect(pushed.body.files.map((file: { path: string }) => file.path)).toEqual([...files.keys()]);

    const location = pushed.headers.location!;
    const stored = await app.get(location).auth(READER.user, READER.password).expect(200);
    expect(stored.body.digest).toBe(pushed.body.digest);
    const download = await asBytes(app.get(`${location}/archive`).auth(READER.user, READER.password)).expect(200);
    expect(Buffer.compare(download.body as Buffer, archive)).toBe(0);
    const values = await asBytes(app.get(`${location}/files/values.yaml`).auth(READER.user, READER.password)).expect(200);
    expect(Buffer.compare(values.body as Buffer, files.get('values.yaml') ?? Buffer.alloc(1))).toBe(0);
  });
});
