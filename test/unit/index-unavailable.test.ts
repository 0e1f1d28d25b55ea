// Which failures of the PostgreSQL index mean "the database cannot be reached" (503 later), by their codes and
// pg's own messages; test/postgres shows the same against a real server stopped and killed.
import { describe, expect, it } from 'vitest';
import { DuplicateVersionError, isIndexUnavailable } from '../../src/db/postgres.js';

function withCode(code: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isIndexUnavailable', () => {
  it('recognises refused, reset and unreachable sockets, a server shutting down, starting or full, and class 08', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300', '08006', '08001', '08P01']) {
      expect(isIndexUnavailable(withCode(code)), code).toBe(true);
    }
  });

  it("recognises pg's errors for a connection that ended or never came up in time", () => {
    expect(isIndexUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isIndexUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isIndexUnavailable(new Error('Connection terminated due to connection timeout'))).toBe(true);
  });

  it('looks into the addresses Node tried one by one (AggregateError) and into causes', () => {
    expect(isIndexUnavailable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'))).toBe(true);
    expect(isIndexUnavailable(new Error('opening the index failed', { cause: withCode('57P03') }))).toBe(true);
  });

  it('leaves refusals of the query itself, and everything else, to be errors', () => {
    for (const code of ['23505', '23503', '42601', '42P01', '40P01', '57014', 'ENOENT']) {
      expect(isIndexUnavailable(withCode(code)), code).toBe(false);
    }
    expect(isIndexUnavailable(new DuplicateVersionError('nginx', '1.0.0'))).toBe(false);
    expect(isIndexUnavailable(new Error('Connection terminated'))).toBe(false);
    expect(isIndexUnavailable('ECONNREFUSED')).toBe(false);
    expect(isIndexUnavailable(undefined)).toBe(false);
  });
});
