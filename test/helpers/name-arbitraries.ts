// fast-check generators of pack names and versions near the edges of what the rules accept: the length
// limits (on both sides), dots and dashes, `a..b`, leading zeros, two-part versions (which grow by two
// characters when normalised), pre-releases, build metadata, and the loose versions real packs write.
import fc from 'fast-check';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
const alnum = fc.constantFrom(...ALNUM);
const nameChar = fc.constantFrom(...ALNUM, '.', '_', '-');

/** `[first][rest]` of exactly `length` characters, padded or cut. */
function ofLength(text: string, length: number, pad: string): string {
  return text.length >= length ? text.slice(0, length) : text + pad.repeat(length - text.length).slice(0, length - text.length);
}

/** Pack names, mostly valid, some one character too long or otherwise off. */
export const packNameArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(alnum, fc.array(nameChar, { maxLength: 20 })).map(([first, rest]) => first + rest.join('')),
  fc.constantFrom('a..b', 'a...b', 'x.', 'x-', 'x_', '0', 'Z9', 'a.-_b', 'pack..json'),
  // Around the 128-character limit, with dots and dashes inside.
  fc
    .tuple(alnum, fc.array(nameChar, { maxLength: 8 }), fc.oneof(fc.integer({ min: 126, max: 129 }), fc.integer({ min: 250, max: 256 })))
    .map(([first, rest, length]) => ofLength(first + rest.join(''), length, 'a..-')),
  // Off: not a name at all.
  fc.constantFrom('.hidden', '-dash', 'a/b', 'a b', ''),
);

const digits = fc.oneof(fc.constantFrom('0', '00', '01', '007', '10', '2026'), fc.integer({ min: 0, max: 99999 }).map(String));
const identifier = fc.oneof(
  fc.constantFrom('rc', 'up', 'alpha', 'beta-2', '5', '05', '0', 'x-y', 'build'),
  fc.stringMatching(/^[0-9A-Za-z-]{1,10}$/),
);
const identifiers = fc.array(identifier, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));

/** Versions as packs write them, valid or close to valid, and some around the 128-character limit. */
export const packVersionArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      major: digits,
      minor: digits,
      patch: fc.option(digits, { nil: undefined }),
      prerelease: fc.option(identifiers, { nil: undefined }),
      build: fc.option(identifiers, { nil: undefined }),
    })
    .map(({ major, minor, patch, prerelease, build }) =>
      `${major}.${minor}${patch === undefined ? '' : `.${patch}`}${prerelease === undefined ? '' : `-${prerelease}`}${build === undefined ? '' : `+${build}`}`,
    ),
  fc.constantFrom('1.5', '23.07.1', '26.04.4', '0.30.0-5.5.2026', '2.0.1-up.1', '1.0.0+build.7', '1.0.0-rc.01', '01.02.03'),
  // Around the limit: a two-part version grows by two characters when normalised, a zero-padded one shrinks.
  fc
    .tuple(fc.constantFrom('1.5-', '1.0.0-', '01.002.0003-', '1.0.0+', '1.5+'), fc.oneof(fc.integer({ min: 124, max: 131 }), fc.integer({ min: 248, max: 258 })))
    .map(([prefix, length]) => ofLength(prefix, length, 'a.0-')),
  // Not versions.
  fc.constantFrom('latest', 'v1.0.0', '1', '1.2.3.4', ' 1.0.0', '1.0.0-', '1.0.0+', '99999999999999999.0.0'),
);

export const groupArbitrary: fc.Arbitrary<string | undefined> = fc.option(
  fc.oneof(fc.constantFrom('lts', 'LTS', 'a..b', 'g-1'), fc.tuple(alnum, fc.integer({ min: 120, max: 128 })).map(([first, length]) => ofLength(first, length, 'g.'))),
  { nil: undefined },
);
