// Property: after any sequence of pushes (with groups), tag additions, tag deletions and version deletions,
// the parent tags the registry stores equal what a deliberately simple reference model computes.
import fc from 'fast-check';
import semver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import { stageUpload } from '../../src/storage/staging.js';
import { MemoryBlobStore } from '../../src/storage/blobs/memory.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { Registry } from '../../src/registry/registry.js';
import { RegistryError } from '../../src/registry/errors.js';
import { buildRawTarGz, minimalPackEntries } from '../helpers/archives.js';
import { Readable } from 'node:stream';

const VERSIONS = ['0.9.0', '1.0.0', '1.2.0', '1.2.5', '1.10.0', '1.5', '2.0.0-rc.1', '2.0.0', '2.1.0-beta.1', '23.07.1', '23.7.2'];
const GROUPS = [undefined, 'lts', 'edge'];
// Labels that read as a version may only point at that version (else TAG_INVALID): some name no pushed version,
// some name one (`1.5.0` is `1.5`), so a version's own tag can be re-created, also in another group.
const LABELS = ['stable', '1.3.0', '2.5.0-rc.1', '3.0.0', '1.2.9', '1.2.0', '1.5.0', '2.0.0-rc.1', '23.07.2'];

type Operation =
  | { kind: 'push'; version: string; group?: string }
  | { kind: 'tag'; label: string; group?: string; target: string }
  | { kind: 'untag'; pick: number }
  | { kind: 'delete'; version: string };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), version: fc.constantFrom(...VERSIONS), group: fc.constantFrom(...GROUPS) }),
  fc.record({
    kind: fc.constant('tag' as const),
    label: fc.constantFrom(...LABELS),
    group: fc.constantFrom(...GROUPS),
    target: fc.constantFrom(...VERSIONS),
  }),
  fc.record({ kind: fc.constant('untag' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), version: fc.constantFrom(...VERSIONS) }),
);

/** The model: tags are a plain map from name to the version string they point at. */
class Model {
  readonly versions = new Map<string, string | undefined>(); // version -> group
  readonly tags = new Map<string, string>(); // tag -> version

  apply(op: Operation): void {
    const same = (version: string) => [...this.versions.keys()].find((v) => semver.eq(norm(v), norm(version)));
    if (op.kind === 'push' && !same(op.version)) {
      this.versions.set(op.version, op.group);
      this.tags.set(op.group ? `${op.group}__${op.version}` : op.version, op.version);
    } else if (op.kind === 'tag') {
      const target = same(op.target);
      const namesAnotherVersion = /^\d/.test(op.label) && target !== undefined && !semver.eq(norm(op.label), norm(target));
      if (target && !namesAnotherVersion) this.tags.set(op.group ? `${op.group}__${op.label}` : op.label, target);
    } else if (op.kind === 'untag') {
      const names = [...this.tags.keys()].sort();
      if (names.length > 0) this.tags.delete(names[op.pick % names.length]!);
    } else if (op.kind === 'delete') {
      const target = same(op.version);
      if (!target) return;
      this.versions.delete(target);
      for (const [tag, version] of this.tags) if (version === target) this.tags.delete(tag);
    }
  }

  /** Parent tags by brute force: for each line of each group, sort its members and take the last. */
  parents(): Record<string, string> {
    const result: Record<string, string> = {};
    const members = new Map<string, { tag: string; label: string; version: string }[]>();
    for (const [tag, version] of this.tags) {
      const at = tag.lastIndexOf('__');
      const group = at < 0 ? '' : tag.slice(0, at + 2);
      const label = at < 0 ? tag : tag.slice(at + 2);
      if (!/^\d/.test(label)) continue;
      const parsed = semver.parse(norm(label))!;
      for (const line of [`${group}${parsed.major}.x`, `${group}${parsed.major}.${parsed.minor}.x`]) {
        members.set(line, [...(members.get(line) ?? []), { tag, label, version }]);
      }
    }
    for (const [line, candidates] of members) {
      const releases = candidates.filter((c) => semver.prerelease(norm(c.label)) === null);
      const pool = releases.length > 0 ? releases : candidates;
      pool.sort((a, b) => semver.compare(norm(a.label), norm(b.label)) || (a.tag < b.tag ? -1 : 1));
      result[line] = pool[pool.length - 1]!.version;
    }
    return result;
  }
}

/** `1.5` → `1.5.0`, `23.07.1` → `23.7.1`: enough for the fixed pools above. */
function norm(version: string): string {
  const [core, pre] = version.split('-', 2);
  const parts = core!.split('.').map(Number);
  while (parts.length < 3) parts.push(0);
  return parts.join('.') + (pre ? `-${pre}` : '');
}

const archives = new Map<string, Buffer>();
async function archiveFor(version: string, group: string | undefined): Promise<Buffer> {
  const key = `${version}/${group ?? ''}`;
  let archive = archives.get(key);
  if (!archive) {
    archive = await buildRawTarGz(minimalPackEntries({ name: 'prop', version, ...(group ? { group } : {}) }));
    archives.set(key, archive);
  }
  return archive;
}

const stores: MemoryBlobStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
});

async function run(registry: Registry, blobs: MemoryBlobStore, op: Operation): Promise<void> {
  try {
    if (op.kind === 'push') {
      const staged = await stageUpload(Readable.from([await archiveFor(op.version, op.group)]), blobs, 1 << 20);
      await registry.push(staged, { user: 'prop' });
    } else if (op.kind === 'tag') {
      await registry.setTag('prop', op.group ? `${op.group}__${op.label}` : op.label, op.target, 'prop');
    } else if (op.kind === 'untag') {
      const names = (await registry.listTags('prop')).filter((t) => t.kind !== 'parent').map((t) => t.tag).sort();
      if (names.length > 0) await registry.deleteTag('prop', names[op.pick % names.length]!, 'prop');
    } else {
      await registry.deleteVersion('prop', op.version, 'prop');
    }
  } catch (error) {
    // The model skips the same operations the registry refuses: existing versions, unknown references, a
    // version label pointing at another version.
    if (!(error instanceof RegistryError) || !['PACK_EXISTS', 'PACK_NOT_FOUND', 'TAG_INVALID'].includes(error.code)) throw error;
  }
}

async function storedParents(registry: Registry): Promise<Record<string, string>> {
  try {
    return Object.fromEntries((await registry.listTags('prop')).filter((t) => t.kind === 'parent').map((t) => [t.tag, t.version]));
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'PACK_NOT_FOUND') return {};
    throw error;
  }
}

describe('parent tags (property)', () => {
  it('always equal the reference model after random pushes, tags and deletions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 14 }), async (operations) => {
        const blobs = await MemoryBlobStore.open();
        stores.push(blobs);
        const registry = new Registry({ db: new SqliteIndex(':memory:'), blobs, limits: { maxEntries: 100, maxUnpackedSize: 1 << 20 } });
        const model = new Model();
        for (const op of operations) {
          model.apply(op);
          await run(registry, blobs, op);
          expect(await storedParents(registry)).toEqual(model.parents());
        }
      }),
      { numRuns: 60 },
    );
  });
});
