// Local validation runs the server's own inspection (src/packs, one module shared by both), so what an
// author sees before uploading is exactly what the registry would refuse.
import { createReadStream } from 'node:fs';
import { DEFAULT_LIMITS } from '../api/index.js';
import { inspectArchive, type ArchiveLimits, type InspectedPack, type PackProblem } from '../packs/index.js';
import { CliError, EXIT, codeLine } from './errors.js';

/**
 * The registry's default limits (limits.maxentries, limits.maxunpackedsize). A registry configured
 * with other limits is the judge of them: it answers PACK_INVALID, which packctl shows all the same.
 */
export const CLIENT_LIMITS: ArchiveLimits = { maxEntries: DEFAULT_LIMITS.maxEntries, maxUnpackedSize: DEFAULT_LIMITS.maxUnpackedSize };

export async function inspectArchiveFile(archivePath: string): Promise<{ ok: true; pack: InspectedPack } | { ok: false; problems: PackProblem[] }> {
  try {
    return await inspectArchive(createReadStream(archivePath), CLIENT_LIMITS);
  } catch (error) {
    throw new CliError(EXIT.FAILURE, `cannot read ${archivePath}: ${(error as Error).message}`);
  }
}

/** Every problem on its own line, as the registry's PACK_INVALID entries are shown, then what it means. */
export function invalidPackError(problems: PackProblem[], summary: string): CliError {
  return new CliError(EXIT.INVALID_PACK, [...problems.map((problem) => codeLine('PACK_INVALID', problem.message)), summary]);
}
