// The registry packctl talks to may be hostile (or a proxy in front of it may be), and what it answers ends
// up on the user's terminal: pack names, versions, tags, messages, error entries, header values. A terminal
// obeys control characters in its output, so a registry could clear the screen, move the cursor to overwrite
// an earlier line, set the window title, plant an OSC 8 hyperlink that shows one address and opens another,
// or feed answers back to the shell through a terminal's report sequences. Text from outside therefore
// reaches the terminal only through `printable`, at the few places output is rendered: error lines
// (src/cli/packctl.ts), result lines (`writeLines`), table cells and the progress label.

/**
 * What is never printed as it came, each run of it shown as one space:
 * - C0 controls U+0000–U+001F (ESC, BEL, BS, CR, and LF and TAB too: a value must not forge an extra line or
 *   break a table's columns) and DEL U+007F;
 * - C1 controls U+0080–U+009F, which some terminals obey as one-character sequences (U+009B CSI, U+009D OSC,
 *   U+009C ST, U+0090 DCS, U+009E PM, U+009F APC);
 * - the line and paragraph separators U+2028 and U+2029;
 * - the invisible bidirectional controls that reorder what is shown ("Trojan Source"): the embeddings and
 *   overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks U+200E, U+200F and U+061C.
 * Without ESC, CSI, OSC and their terminators no escape sequence can form: what is left of one (`[31m`) is
 * inert text, kept visible so that a reader can see the registry sent something odd.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** `text` with every run of control characters (see UNPRINTABLE) replaced by one space: safe for a terminal, on one line. */
export function printable(text: string): string {
  // String(): the registry's JSON is not checked against its types, and a number where a name belongs
  // should print as that number rather than fail.
  return String(text).replace(UNPRINTABLE, ' ');
}

/** Writes each line made printable, ending with a line break: the line breaks are packctl's, never the registry's. */
export function writeLines(stream: NodeJS.WritableStream, lines: readonly string[]): void {
  stream.write(lines.map((line) => `${printable(line)}\n`).join(''));
}
