// packctl's one gate for the registry's text on its way to a terminal (src/client/printable.ts), and the
// places that render through it: error lines, result lines, table cells.
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/client/commands/ls.js';
import { ApiError, oneLine } from '../../src/client/errors.js';
import { printable, writeLines } from '../../src/client/printable.js';

/** Every code point a terminal may obey or that reorders what is shown. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, index) => String.fromCodePoint(from + index));
}

const C0 = range(0x00, 0x1f);
const C1 = range(0x80, 0x9f);
const BIDI = [...range(0x202a, 0x202e), ...range(0x2066, 0x2069), '\u200e', '\u200f', '\u061c'];

describe('printable', () => {
  it.each([
    ['C0 U+0000–U+001F', C0],
    ['DEL U+007F', ['\u007f']],
    ['C1 U+0080–U+009F', C1],
    ['bidi embeddings, overrides, isolates and marks', BIDI],
    ['line and paragraph separators', ['\u2028', '\u2029']],
  ])('replaces every one of %s with a space', (_name, characters) => {
    for (const character of characters) {
      const label = `U+${character.codePointAt(0)?.toString(16).padStart(4, '0')}`;
      expect(printable(`a${character}b`), label).toBe('a b');
    }
  });

  it('turns a run of control characters into one space, and keeps the rest of the text as it was', () => {
    expect(printable(`x${C0.join('')}${C1.join('')}${BIDI.join('')}y`)).toBe('x y');
    expect(printable('  spaced  out  ')).toBe('  spaced  out  ');
  });

  it('keeps printable text untouched, non-ASCII letters and emoji included', () => {
    const text = 'hello-universe 1.3.1 Grüße 日本語 עברית 👩‍💻 ~!@#$%^&*()[]{};:\'",.<>/?\\|`';
    expect(printable(text)).toBe(text);
  });

  it('leaves nothing of an SGR colour sequence ESC [ 31m that a terminal obeys', () => {
    const shown = printable('\u001b[31mred\u001b[0m');
    expect(shown).not.toMatch(CONTROL);
    expect(shown).toBe(' [31mred [0m');
  });

  it('breaks an OSC 8 hyperlink, with either terminator (BEL or ESC \\)', () => {
    for (const terminator of ['\u0007', '\u001b\\']) {
      const shown = printable(`\u001b]8;;https://evil.example/${terminator}click here\u001b]8;;${terminator}`);
      expect(shown).not.toMatch(CONTROL);
      expect(shown).toContain('click here');
    }
  });

  it('breaks the one-character C1 introducers: CSI U+009B, OSC U+009D, DCS U+0090 and ST U+009C', () => {
    expect(printable('\u009b2J\u009b31mtext')).toBe(' 2J 31mtext');
    expect(printable('\u009d0;title\u009c')).toBe(' 0;title ');
    expect(printable('\u0090qpayload\u009c')).toBe(' qpayload ');
  });

  it('keeps a value on its line: CR, LF, backspace and TAB cannot forge or overwrite output', () => {
    expect(printable('ok\r\nerror: forged line')).toBe('ok error: forged line');
    expect(printable('secret\b\b\b\b\b\bpublic')).toBe('secret public');
    expect(printable('a\tb')).toBe('a b');
  });

  it('shows a value of another type than the contract says as text rather than failing', () => {
    expect(printable(42 as unknown as string)).toBe('42');
  });
});

describe('where packctl prints the registry’s text', () => {
  it('writeLines ends each line itself and leaves no control character but those line breaks', async () => {
    const stream = new PassThrough();
    writeLines(stream, ['Pushed \u001b[2Jevil\n:1.0.0', 'Tags: \u009b31mlatest\u202e']);
    stream.end();
    const output = await text(stream);
    expect(output).toBe('Pushed  [2Jevil :1.0.0\nTags:  31mlatest \n');
  });

  it('oneLine uses the same rules and trims the result', () => {
    expect(oneLine('\u001b]0;title\u0007connection\u009breset\n')).toBe(']0;title connection reset');
  });

  it('an ApiError keeps each entry on its line, whatever its message holds', () => {
    const error = new ApiError(404, [{ code: 'PACK_NOT_FOUND', message: 'no\npack\u001b[31m here\u009b' }]);
    expect(error.lines).toEqual(['PACK_NOT_FOUND: no pack [31m here']);
  });

  it('renders table cells printable, so hostile names cannot break rows or columns', () => {
    const table = renderTable([
      {
        name: 'evil\u001b[31m\nname',
        version: '1.0.0\u009b2J',
        tags: ['latest\u202e', 'x\tx'],
        layer: 'addon\r',
        pushedAt: '2024-01-01T00:00:00.123Z\u0007',
      },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(2);
    expect(table.replaceAll('\n', '')).not.toMatch(CONTROL);
    expect(lines[1]).toContain('evil [31m name');
    expect(lines[1]).toContain('latest ,x x');
  });
});
