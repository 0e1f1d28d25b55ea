// `packctl pack pull NAME[:TAG|@DIGEST] TARGET_DIR`: the archive is downloaded to a temporary file while it
// is hashed, checked against the registry's ETag (archive digest) and Pack-Digest (content digest, by the
// server's own inspection code), and only then unpacked into TARGET_DIR/<name>-<version>/. Unpacking
// happens in a fresh folder next to the target that is renamed into place, so a failed pull leaves
// nothing half-written.
import { chmod, lstat, mkdir, readdir, rename, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PackDocument, VersionDocument } from '../../api/index.js';
import { isValidPackName, type InspectedPack } from '../../packs/index.js';
import { extractPack, UnsafeArchiveError } from '../archive.js';
import { withRegistry, type ClientContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { apiPath, type RegistryClient } from '../http.js';
import { writeLines } from '../printable.js';
import { startProgress } from '../progress.js';
import { withTemporaryFolder } from '../temporary.js';
import { parsePackReference } from '../references.js';
import { inspectArchiveFile, invalidPackError } from '../validate.js';

export interface PullOptions {
  registry?: string;
  force?: boolean;
}

type TargetState = 'absent' | 'empty' | 'replace';

/** Whether the target folder may be written, without following a link that may sit on its path. */
async function targetState(target: string, force: boolean): Promise<TargetState> {
  let entry;
  try {
    entry = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new CliError(EXIT.FAILURE, `cannot check ${target}: ${(error as Error).message}`);
  }
  if (!entry.isDirectory()) {
    throw new CliError(EXIT.CONFLICT, `${target} exists and is not a folder; move it away first`);
  }
  if ((await readdir(target)).length === 0) return 'empty';
  if (!force) throw new CliError(EXIT.CONFLICT, `${target} already exists and is not empty; pass --force to replace it`);
  return 'replace';
}

/** `<name>-<version>` must be one plain path segment, whatever the registry answered. */
function folderNameOf(version: VersionDocument): string {
  const folder = `${version.name}-${version.version}`;
  if (!isValidPackName(version.name) || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version.version)) {
    throw new CliError(EXIT.FAILURE, `the registry answered an unusable pack name or version: ${JSON.stringify(folder)}`);
  }
  return folder;
}

function etagDigest(header: string | undefined): string | undefined {
  return header?.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function digestMismatch(what: string, received: string, announced: string | undefined): CliError {
  return new CliError(
    EXIT.FAILURE,
    `DIGEST_MISMATCH: the ${what} received is ${received} but the registry announced ${announced ?? 'none'}; nothing was unpacked`,
  );
}

async function resolveVersion(client: RegistryClient, name: string, ref: string | undefined): Promise<VersionDocument> {
  // A bare NAME means the pack's highest version, as the registry ranks them.
  const wanted = ref ?? (await client.json<PackDocument>(apiPath('packs', name))).body.latestVersion;
  return (await client.json<VersionDocument>(apiPath('packs', name, wanted))).body;
}

async function placeFolder(staging: string, target: string, state: TargetState, workDir: string): Promise<void> {
  if (state === 'empty') await rmdir(target);
  // The old folder goes into the work folder, removed with it once the new one is in place.
  if (state === 'replace') await rename(target, join(workDir, 'previous'));
  await rename(staging, target);
}

/**
 * Downloads the version's archive into `archivePath` and checks it three ways: its bytes against the ETag,
 * the pack rules (the server's inspection code, which also refuses anything unsafe), and its files against
 * Pack-Digest. Returns the inspected pack only when all three hold.
 */
async function downloadVerified(ctx: ClientContext, client: RegistryClient, version: VersionDocument, archivePath: string): Promise<InspectedPack> {
  const label = `${version.name}:${version.version}`;
  // Asked by content digest, so the archive is the version just resolved even if a tag moves meanwhile.
  const download = await client.download(apiPath('packs', version.name, version.digest, 'archive'), archivePath, (total) =>
    startProgress({ verb: 'Downloading', what: label, total, stream: ctx.stderr }),
  );
  const announcedArchive = etagDigest(download.headers.etag);
  if (download.sha256 !== announcedArchive) throw digestMismatch('archive', download.sha256, announcedArchive);

  const inspection = await inspectArchiveFile(archivePath);
  if (!inspection.ok) {
    throw invalidPackError(inspection.problems, `the archive of ${label} from ${client.server} is not a valid pack; nothing was unpacked`);
  }
  const pack = inspection.pack;
  const announcedContent = download.headers['pack-digest'];
  if (pack.contentDigest !== announcedContent) {
    throw digestMismatch('content', pack.contentDigest, typeof announcedContent === 'string' ? announcedContent : undefined);
  }
  if (pack.manifest.name !== version.name || pack.manifest.version !== version.version) {
    throw new CliError(EXIT.FAILURE, `the archive holds ${pack.manifest.name}:${pack.manifest.version}, not ${label}; nothing was unpacked`);
  }
  return pack;
}

/** Unpacks into a new private folder `<workDir>/pack` and returns it, ready to be renamed into place. */
async function unpackToStaging(archivePath: string, pack: InspectedPack, workDir: string): Promise<string> {
  const label = `${pack.manifest.name}:${pack.manifest.version}`;
  const staging = join(workDir, 'pack');
  await mkdir(staging, { mode: 0o700 });
  try {
    await extractPack(archivePath, pack, staging);
  } catch (error) {
    if (error instanceof UnsafeArchiveError) {
      throw new CliError(EXIT.INVALID_PACK, `refusing to unpack ${label}: ${error.message}; nothing was unpacked`);
    }
    throw new CliError(EXIT.FAILURE, `cannot unpack ${label}: ${(error as Error).message}`);
  }
  await chmod(staging, 0o755);
  return staging;
}

export async function pull(ctx: ClientContext, reference: string, targetDir: string, options: PullOptions): Promise<void> {
  const { name, ref } = parsePackReference(reference);
  const force = options.force === true;
  await withRegistry(ctx, options.registry, async (client) => {
    const version = await resolveVersion(client, name, ref);
    const target = resolve(targetDir, folderNameOf(version));
    // Checked before the download (no wasted transfer) and again just before the rename.
    await targetState(target, force);
    await mkdir(targetDir, { recursive: true });
    // In the target folder, so that the final rename stays on one file system.
    await withTemporaryFolder(join(resolve(targetDir), '.packctl-pull-'), async (workDir) => {
      const archivePath = join(workDir, 'archive.tar.gz');
      const pack = await downloadVerified(ctx, client, version, archivePath);
      const staging = await unpackToStaging(archivePath, pack, workDir);
      await placeFolder(staging, target, await targetState(target, force), workDir);
      writeLines(ctx.stdout, [`Pulled ${version.name}:${version.version} from ${client.server} into ${target}`, `Digest: ${pack.contentDigest}`]);
    });
  });
}
