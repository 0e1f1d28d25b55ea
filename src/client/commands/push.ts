// `packctl pack push DIR|ARCHIVE`: the pack is judged locally by the registry's own rules first, so an
// author sees every problem at once and nothing is uploaded; then the very file that was judged is sent.
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { VersionDocument } from '../../api/index.js';
import type { PackProblem } from '../../packs/index.js';
import { packDirectory } from '../archive.js';
import { withRegistry, type ClientContext } from '../context.js';
import { ApiError, CliError, EXIT, localRefusal, usageError } from '../errors.js';
import { apiPath, type RegistryClient } from '../http.js';
import { multipartBody } from '../multipart.js';
import { writeLines } from '../printable.js';
import { startProgress } from '../progress.js';
import { transientUploadFailure, withRetries } from '../retry.js';
import { withTemporaryFolder } from '../temporary.js';
import { inspectArchiveFile, invalidPackError } from '../validate.js';

export interface PushOptions {
  registry?: string;
  force?: boolean;
  message?: string;
  skipDigestCheck?: boolean;
}

/** The archive to judge and upload: the given file, or the folder packed into `workDir`. */
async function archiveOf(source: string, workDir: string): Promise<string> {
  let kind;
  try {
    kind = await stat(source);
  } catch {
    throw usageError(`${source}: no such file or folder; give a pack folder or a .tar.gz archive`);
  }
  if (kind.isFile()) return source;
  if (!kind.isDirectory()) throw usageError(`${source} is neither a folder nor a file`);
  const archivePath = join(workDir, `${basename(resolve(source)) || 'pack'}.tar.gz`);
  try {
    await packDirectory(source, archivePath);
  } catch (error) {
    throw new CliError(EXIT.FAILURE, `cannot pack ${source}: ${(error as Error).message}`);
  }
  return archivePath;
}

/** The archive of a folder is packctl's own making: a missing file is missing from the folder the author gave. */
function inFolderTerms(problem: PackProblem, folder: string): PackProblem {
  if (problem.rule !== 'file-missing' || problem.path === undefined) return problem;
  return { ...problem, message: `${problem.path} is missing: it must be a file in ${folder}` };
}

function formFields(options: PushOptions): Record<string, string> {
  const fields: Record<string, string> = {};
  if (options.force) fields.force = 'true';
  if (options.message !== undefined && options.message.trim() !== '') fields.message = options.message;
  if (options.skipDigestCheck) fields.skipDigestCheck = 'true';
  return fields;
}

/** `POST /v1/packs` with the archive streamed as the form's `pack` field, showing the upload's progress. */
/** A busy registry (503 TOO_MANY_UPLOADS) or a reset connection is tried again as retry.ts says, the file re-read each time. */
async function upload(ctx: ClientContext, client: RegistryClient, archivePath: string, filename: string, options: PushOptions): Promise<VersionDocument> {
  const size = (await stat(archivePath)).size;
  return withRetries(() => uploadOnce(ctx, client, archivePath, size, filename, options), (error) => transientUploadFailure(error), {
    say: (line) => ctx.stderr.write(`${line}\n`),
  });
}

async function uploadOnce(ctx: ClientContext, client: RegistryClient, archivePath: string, size: number, filename: string, options: PushOptions): Promise<VersionDocument> {
  // A stream is read once: every attempt gets its own.
  const body = multipartBody(formFields(options), { field: 'pack', path: archivePath, size, filename, contentType: 'application/gzip' });
  const progress = startProgress({ verb: 'Uploading', what: filename, total: body.length, stream: ctx.stderr });
  try {
    const answer = await client.send('/v1/packs', { method: 'POST', body, onBodyBytes: (bytes) => progress.advance(bytes) });
    const pushed = await client.readJson<VersionDocument>(answer);
    progress.finish();
    return pushed;
  } catch (error) {
    progress.abort();
    throw error;
  } finally {
    // An early refusal leaves the upload running: stop it (and its connection) before any next attempt.
    body.stream.destroy();
  }
}

/** The content digest of NAME:VERSION as the registry holds it, or undefined when it has no such version. */
async function storedContentDigest(client: RegistryClient, name: string, version: string): Promise<string | undefined> {
  try {
    const { body } = await client.json<Pick<VersionDocument, 'digest'>>(apiPath('packs', name, version));
    return typeof body?.digest === 'string' ? body.digest : undefined;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** The one line a forced push of unchanged content prints (exit code 0). */
function unchangedLine(name: string, version: string, server: string, digest: string): string {
  return `Unchanged: ${name}:${version} on ${server} already has this content (${digest}); nothing was pushed`;
}

export async function push(ctx: ClientContext, source: string, options: PushOptions): Promise<void> {
  // The registry would refuse it too, but only after the whole upload.
  if (options.force && (options.message ?? '').trim() === '') {
    throw localRefusal('MESSAGE_REQUIRED', 'a forced push must say why: add -m MESSAGE');
  }
  await withTemporaryFolder(join(tmpdir(), 'packctl-push-'), async (workDir) => {
    // Judged before the registry is even looked up: the rules need no network, and an author sees every
    // problem whether or not they are logged in yet.
    const archivePath = await archiveOf(source, workDir);
    const inspection = await inspectArchiveFile(archivePath);
    if (!inspection.ok) {
      const count = inspection.problems.length;
      const problems = archivePath === source ? inspection.problems : inspection.problems.map((problem) => inFolderTerms(problem, source));
      throw invalidPackError(problems, `${count} problem${count === 1 ? '' : 's'} in ${source}; nothing was uploaded`);
    }
    const { manifest, contentDigest } = inspection.pack;
    let server = options.registry ?? '';
    const unchanged = () => writeLines(ctx.stdout, [unchangedLine(manifest.name, manifest.version, server, contentDigest)]);
    await withRegistry(ctx, options.registry, async (client) => {
      server = client.server;
      // Wrong credentials or trust are found before the upload, not after it.
      await client.checkCredentials();
      // A forced push of content the registry holds already is done: nothing is uploaded (Spectro's digest check).
      if (options.force && !options.skipDigestCheck && (await storedContentDigest(client, manifest.name, manifest.version)) === contentDigest) {
        unchanged();
        return;
      }
      const pushed = await upload(ctx, client, archivePath, `${manifest.name}-${manifest.version}.tar.gz`, options);
      // The registry's answer: printed only through writeLines.
      writeLines(ctx.stdout, [
        `Pushed ${pushed.name}:${pushed.version} to ${client.server}`,
        `Digest: ${pushed.digest ?? contentDigest}`,
        `Tags: ${(pushed.tags ?? []).join(', ')}`,
      ]);
    }).catch((error: unknown) => {
      // The same content was stored between the check and the upload (or the check could not see it).
      if (options.force && error instanceof ApiError && error.code === 'PACK_UNCHANGED') return unchanged();
      throw error;
    });
  });
}
