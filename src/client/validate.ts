// Local validation runs the server's own inspection (src/packs, one module shared by both), so what an
// author sees before uploading is exactly what the registry would refuse.
import { createReadStream } from 'node:fs';
import { inspectArchive, type ArchiveLimits, type InspectedPack, type PackProblem } from '../packs/index.js';
import { CliError, EXIT, oneLine } from './errors.js';

/**
 * The registry's default limits (limits.maxentries, limits.maxunpackedsize). A registry configured
 * with other limits is the judge of them: it answers PACK_INVALID, which packctl shows all the same.
 */
export const CLIENT_LIMITS: ArchiveLimits = { maxEntries: 10_000, maxUnpackedSize: 2 * 1024 * 1024 * 1024 };

export async function inspectArchiveFile(archivePath: string): Promise<{ ok: true; pack: InspectedPack } | { ok: false; problems: PackProblem[] }> {
  try {
    return await inspectArchive(createReadStream(archivePath), CLIENT_LIMITS);
  } catch (error) {
    throw new CliError(EXIT.FAILURE, `cannot read ${archivePath}: ${(error as Error).message}`);
  }
}

/** Every problem on its own line, as the registry's PACK_INVALID entries are shown, then what it means. */
export function invalidPackError(problems: PackProblem[], summary: string): CliError {
  return new CliError(EXIT.INVALID_PACK, [...problems.map((problem) => `PACK_INVALID: ${oneLine(problem.message)}`), summary]);
}
