// docs/API.md is the contract people read; src/api is the one the server and packctl compile against.
// These tests keep the two equal, and keep packctl's exit codes decided for every code of the catalogue.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, DEFAULT_PAGE_SIZE, ERROR_CATALOGUE, ERROR_CODES, MAX_PAGE_SIZE, isErrorCode } from '../../src/api/index.js';
import { EXIT, EXIT_FOR_ERROR_CODE, exitCodeForAnswer, exitCodeForStatus } from '../../src/client/errors.js';

const apiDoc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');

interface DocumentedError {
  code: string;
  status: number;
  meaning: string;
}

/** The text of a `## Title` section, up to the next second-level heading. */
function section(markdown: string, title: string): string {
  const start = markdown.search(new RegExp(`^## ${title}\\s*$`, 'm'));
  if (start < 0) throw new Error(`docs/API.md has no "## ${title}" section`);
  const rest = markdown.slice(start).split('\n').slice(1).join('\n');
  const next = rest.search(/^## /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The rows of the section's `| code | status | meaning |` table. */
function documentedErrors(markdown: string): DocumentedError[] {
  const lines = section(markdown, 'Errors').split('\n');
  const header = lines.findIndex((line) => /^\|\s*code\s*\|\s*status\s*\|\s*meaning\s*\|\s*$/.test(line));
  if (header < 0) throw new Error('the Errors section of docs/API.md has no "| code | status | meaning |" table');
  const rows: DocumentedError[] = [];
  // Skip the header and its |---| line; the table ends at the first line that is not a row.
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [code = '', status = '', meaning = ''] = line.split('|').slice(1, -1).map((cell) => cell.trim());
    rows.push({ code: code.replace(/`/g, ''), status: Number(status), meaning });
  }
  return rows;
}

/** Statuses the prose gives codes elsewhere: "`409 PACK_EXISTS`" and "`NOT_FOUND` (404: ...)". */
function statusMentions(markdown: string): { code: string; status: number; text: string }[] {
  const mentions = [...markdown.matchAll(/`(\d{3}) ([A-Z][A-Z_]+)`/g)].map((match) => ({ status: Number(match[1]), code: match[2] ?? '', text: match[0] }));
  const parenthesised = [...markdown.matchAll(/`([A-Z][A-Z_]+)` \((\d{3})\b/g)].map((match) => ({ code: match[1] ?? '', status: Number(match[2]), text: match[0] }));
  return [...mentions, ...parenthesised];
}

describe('docs/API.md and the error catalogue', () => {
  const documented = documentedErrors(apiDoc);

  it('documents every code of the catalogue', () => {
    const documentedCodes = new Set(documented.map((row) => row.code));
    expect(ERROR_CODES.filter((code) => !documentedCodes.has(code))).toEqual([]);
  });

  it('documents no code the catalogue lacks', () => {
    expect(documented.filter((row) => !isErrorCode(row.code)).map((row) => row.code)).toEqual([]);
  });

  it('documents each code once, with a meaning', () => {
    const codes = documented.map((row) => row.code);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
    expect(documented.filter((row) => row.meaning === '').map((row) => row.code)).toEqual([]);
  });

  it('documents each code with the status the server answers', () => {
    const wrong = documented
      .filter((row) => isErrorCode(row.code) && ERROR_CATALOGUE[row.code].status !== row.status)
      .map((row) => `${row.code}: documented ${row.status}, catalogue ${isErrorCode(row.code) ? ERROR_CATALOGUE[row.code].status : '-'}`);
    expect(wrong).toEqual([]);
  });

  it('gives a code the catalogue status wherever the prose names both', () => {
    const mentions = statusMentions(apiDoc);
    expect(mentions.length).toBeGreaterThan(0);
    const wrong = mentions.filter(({ code, status }) => !isErrorCode(code) || ERROR_CATALOGUE[code].status !== status).map((mention) => mention.text);
    expect(wrong).toEqual([]);
  });
});

describe('docs/API.md and the default limits', () => {
  it('shows the default limits in the example configuration', () => {
    const value = (key: string): number => Number(new RegExp(`^\\s+${key}: (\\d+)\\s*$`, 'm').exec(apiDoc)?.[1]);
    expect({
      maxUploadSize: value('maxuploadsize'),
      maxUnpackedSize: value('maxunpackedsize'),
      maxEntries: value('maxentries'),
    }).toEqual({
      maxUploadSize: DEFAULT_LIMITS.maxUploadSize,
      maxUnpackedSize: DEFAULT_LIMITS.maxUnpackedSize,
      maxEntries: DEFAULT_LIMITS.maxEntries,
    });
  });

  it('states the default and largest page size', () => {
    expect(apiDoc).toContain(`default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}`);
  });
});

describe('packctl exit codes for the catalogue', () => {
  it('has its own exit code for every code, never a fallback', () => {
    expect(ERROR_CODES.filter((code) => !Object.hasOwn(EXIT_FOR_ERROR_CODE, code))).toEqual([]);
    expect(Object.keys(EXIT_FOR_ERROR_CODE).filter((code) => !isErrorCode(code))).toEqual([]);
    for (const code of ERROR_CODES) {
      expect(exitCodeForAnswer(ERROR_CATALOGUE[code].status, code), code).toBe(EXIT_FOR_ERROR_CODE[code]);
    }
  });

  it('agrees with the status of the answer unless the code means a usage error or an invalid pack', () => {
    const decidedByCode: ReadonlySet<number> = new Set([EXIT.USAGE, EXIT.INVALID_PACK]);
    const disagreeing = ERROR_CODES.filter(
      (code) => !decidedByCode.has(EXIT_FOR_ERROR_CODE[code]) && EXIT_FOR_ERROR_CODE[code] !== exitCodeForStatus(ERROR_CATALOGUE[code].status),
    );
    expect(disagreeing).toEqual([]);
  });

  it('falls back on the status for a code it does not know', () => {
    expect(exitCodeForAnswer(409, 'SOMETHING_NEWER')).toBe(EXIT.CONFLICT);
    expect(exitCodeForAnswer(502, 'HTTP_502')).toBe(EXIT.FAILURE);
    expect(exitCodeForAnswer(401, undefined)).toBe(EXIT.AUTH);
  });
});
