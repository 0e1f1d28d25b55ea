// values.yaml must be YAML a cluster tool can read. The `yaml` package is correct but not hardened for
// hostile input, so three guards run around it:
//  - size: composing is CPU-bound (about 0.6 s per MiB of dense YAML), hence MAX_VALUES_YAML_BYTES;
//  - nesting: yaml's composer and toJS recurse once per level. Deep input (`[[[[…`) is caught by yaml as
//    a stack overflow, but V8 may be compiling a regular expression at that moment and then aborts the
//    whole process ("RegExpCompiler Allocation failed"), which no try/catch survives. So the nesting is
//    bounded first, from yaml's own lexer, which is iterative;
//  - aliases: composing never expands aliases; toJS does, and `maxAliasCount` stops a "billion laughs"
//    document there, cheaply, with a ReferenceError.
import { CST, Lexer, parseAllDocuments } from 'yaml';
import type { PackProblem } from './types.js';

/** Real values.yaml files are at most a few hundred KiB; see the note on cost above. */
export const MAX_VALUES_YAML_BYTES = 4 * 1024 * 1024;

/**
 * The most nesting accepted (an upper bound computed by nestingBound). Helm values rarely pass 15
 * levels; yaml's composer overflows the default stack at about 800.
 */
export const MAX_VALUES_YAML_DEPTH = 100;

/**
 * How many times alias references may multiply content. yaml's default (100) refuses legitimate files
 * that reuse one anchor a hundred times; a nine-fold billion-laughs document is still stopped at its fourth level.
 */
export const MAX_VALUES_YAML_ALIAS_COUNT = 1000;

const FILE = 'values.yaml';

function problem(rule: string, message: string): PackProblem {
  return { rule, message: `values.yaml: ${message}`, path: FILE };
}

/**
 * Problems that make values.yaml unusable; an empty list when it is fine. An empty file is fine, and so
 * is a stream of several documents (valid YAML; each one is checked).
 */
export function checkValuesYaml(text: string): PackProblem[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_VALUES_YAML_BYTES) {
    return [problem('values-yaml-too-large', `the file is ${bytes} bytes; at most ${MAX_VALUES_YAML_BYTES} are allowed`)];
  }
  try {
    const depth = nestingBound(text);
    if (depth > MAX_VALUES_YAML_DEPTH) {
      return [problem('values-yaml-depth', `collections are nested too deeply (more than ${MAX_VALUES_YAML_DEPTH} levels)`)];
    }
    return composeProblems(text);
  } catch (error) {
    // Nothing above is expected to throw once the guards passed; a pack must still never crash a push.
    return [problem('values-yaml-syntax', `cannot be read as YAML: ${errorMessage(error)}`)];
  }
}

function composeProblems(text: string): PackProblem[] {
  const problems: PackProblem[] = [];
  const documents = parseAllDocuments(text, { prettyErrors: true });
  for (const document of documents) {
    for (const error of document.errors) {
      problems.push(problem('values-yaml-syntax', `not valid YAML: ${firstLine(error.message)}`));
    }
    if (document.errors.length > 0) continue;
    try {
      document.toJS({ maxAliasCount: MAX_VALUES_YAML_ALIAS_COUNT });
    } catch (error) {
      const rule = /alias count/i.test(errorMessage(error)) ? 'values-yaml-aliases' : 'values-yaml-syntax';
      problems.push(problem(rule, firstLine(errorMessage(error))));
    }
  }
  return problems;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** yaml's pretty errors append a source excerpt on further lines; the problem list wants one sentence. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}

/**
 * An upper bound of the collection nesting in `text`, computed from the flat token stream of yaml's
 * Lexer (no recursion, no tree). Flow collections are counted exactly by their brackets. A nested block
 * collection always starts at a greater indentation than its parent, except a sequence that is a map
 * value (which may share the map's column) — so block depth is at most twice the number of increasing
 * indentation levels open at once, where "indentation" counts the indicators (`- `, `? `, `: `) that
 * start compact collections on the same line, as yaml's parser does.
 */
export function nestingBound(text: string): number {
  const meter = new NestingMeter();
  let nextIsScalarSource = false;
  // A block scalar's body arrives as one token that starts at column 0 with its indentation inside;
  // its start says nothing about structure and must not close open indentation levels.
  let nextScalarIsBlockBody = false;
  for (const token of new Lexer().lex(text)) {
    if (token === CST.SCALAR) {
      nextIsScalarSource = true;
      continue;
    }
    if (nextIsScalarSource) {
      meter.scalar(token, nextScalarIsBlockBody);
      nextIsScalarSource = false;
      nextScalarIsBlockBody = false;
      continue;
    }
    const type = CST.tokenType(token);
    if (type === 'block-scalar-header') nextScalarIsBlockBody = true;
    meter.token(token, type);
  }
  return meter.bound();
}

/** The state of nestingBound's single pass over the tokens. */
class NestingMeter {
  private flowDepth = 0;
  private maxFlowDepth = 0;
  private readonly openIndents: number[] = [];
  private maxOpenIndents = 0;
  private column = 0;
  private atLineStart = true;
  private firstOnLine = true;

  bound(): number {
    return 2 * this.maxOpenIndents + this.maxFlowDepth;
  }

  scalar(source: string, isBlockBody: boolean): void {
    const start = this.advance(source);
    if (!isBlockBody) this.content(start);
    this.afterToken(source);
  }

  token(source: string, type: ReturnType<typeof CST.tokenType>): void {
    const start = this.advance(source);
    switch (type) {
      case 'doc-mode':
      case 'byte-order-mark':
        return;
      case 'flow-error-end':
        this.flowDepth = 0;
        return;
      case 'newline':
        this.atLineStart = true;
        this.firstOnLine = true;
        return;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        // Indicators at the start of a line open compact collections: the line start stays "open".
        if (this.flowDepth === 0 && this.atLineStart) this.recordBlockPosition(start);
        return;
      case 'doc-start':
      case 'doc-end':
        this.openIndents.length = 0;
        this.flowDepth = 0;
        break;
      case 'space':
      case 'comment':
        break;
      case 'flow-seq-start':
      case 'flow-map-start':
        this.content(start);
        this.flowDepth += 1;
        this.maxFlowDepth = Math.max(this.maxFlowDepth, this.flowDepth);
        break;
      case 'flow-seq-end':
      case 'flow-map-end':
        this.flowDepth = Math.max(0, this.flowDepth - 1);
        this.atLineStart = false;
        break;
      default:
        this.content(start);
    }
    this.afterToken(source);
  }

  /** Moves the column past `source`; answers the column where it started. */
  private advance(source: string): number {
    const start = this.column;
    const lastNewline = source.lastIndexOf('\n');
    this.column = lastNewline === -1 ? this.column + source.length : source.length - lastNewline - 1;
    return start;
  }

  /** Content (a scalar, an alias, a property, a flow collection) starting at `start`. */
  private content(start: number): void {
    if (this.flowDepth === 0 && this.atLineStart) this.recordBlockPosition(start);
    this.atLineStart = false;
  }

  /** A token that ends with a line break (a block scalar's body) leaves us at the start of a line. */
  private afterToken(source: string): void {
    if (source.endsWith('\n')) {
      this.atLineStart = true;
      this.firstOnLine = true;
    }
  }

  private recordBlockPosition(position: number): void {
    if (this.firstOnLine) {
      // The first structure on a line closes every level indented deeper than itself.
      while ((this.openIndents[this.openIndents.length - 1] ?? -1) > position) this.openIndents.pop();
      this.firstOnLine = false;
    }
    const top = this.openIndents[this.openIndents.length - 1];
    if (top === undefined || top < position) this.openIndents.push(position);
    this.maxOpenIndents = Math.max(this.maxOpenIndents, this.openIndents.length);
  }
}
