// values.yaml must be YAML a cluster tool can read. The `yaml` package is correct but not hardened for
// hostile input, so only its lexer and composer run here, behind guards, and everything it would check
// with a cost above linear is checked by this module instead:
//  - size: composing is CPU-bound (about 1 s per MiB of dense YAML on a busy 2-core machine), hence
//    MAX_VALUES_YAML_BYTES and MAX_VALUES_YAML_NODES — and all but small files are checked on a worker
//    thread (values-yaml-thread.ts), so even the largest never holds up the event loop;
//  - nesting: yaml's composer recurses once per level. Deep input (`[[[[…`) is caught by yaml as a stack
//    overflow, but V8 may be compiling a regular expression at that moment and then aborts the whole
//    process ("RegExpCompiler Allocation failed"), which no try/catch survives. So the nesting is bounded
//    first, from yaml's own lexer, which is iterative;
//  - duplicate keys: yaml's own check compares every key of a mapping with every earlier one (quadratic: a
//    0.9 MB mapping of 100 000 keys took minutes), so it is turned off (`uniqueKeys: false`) and done here
//    with one Set per mapping, comparing scalar keys by their resolved value exactly as yaml does (`1` and
//    `0x1` are one key, `1` and `"1"` are two);
//  - aliases: yaml's toJS() would expand aliases, but it finds each alias's anchor by scanning every anchor
//    of the document, stringifies collection keys against every anchor, and re-expands `<<` merges without
//    counting them — all quadratic or worse. So toJS() is never called: one walk of the composed tree
//    resolves each alias to the latest anchor before it and weighs what expanding it would add (a
//    "billion laughs" document adds 9^9 nodes), with memoised weights, in linear time.
import { CST, Lexer, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { PackProblem } from './types.js';

/** Real values.yaml files are at most a few hundred KiB; see the note on cost above. */
export const MAX_VALUES_YAML_BYTES = 4 * 1024 * 1024;

/**
 * The most keys, values and collections accepted (counted from the tokens, before anything is composed).
 * Composing costs per node, not per byte — a 4 MiB flow sequence of digits is two million nodes and took 15 s
 * — so this, more than the size, is what bounds the time of a check (about 2 s at most on a busy 2-core
 * machine). Real values.yaml files hold a few thousand nodes (10 to 30 bytes each, comments aside); a
 * 200 KiB one, larger than most charts', about 20 000.
 */
export const MAX_VALUES_YAML_NODES = 200_000;

/**
 * The most nesting accepted (an upper bound computed by nestingBound, and the nesting once aliases are
 * expanded). Helm values rarely pass 15 levels; yaml's composer overflows the default stack at about 800.
 */
export const MAX_VALUES_YAML_DEPTH = 100;

/**
 * How many nodes expanding every alias may add to the document. An anchor of 200 nodes reused 100 times
 * adds 20 000; a nine-fold "billion laughs" document adds 9^9 and is refused at its seventh level.
 */
export const MAX_VALUES_YAML_ALIASED_NODES = 1_000_000;

/** Problems reported for one file at most: a file with 100 000 duplicate keys needs no 100 000-line answer. */
export const MAX_VALUES_YAML_PROBLEMS = 20;

/**
 * The YAML files of a pack this module checks, each with the prefix of its rule names (`values-yaml-syntax`,
 * `presets-yaml-syntax`…) and its size cap. values.yaml is required; presets.yaml and schema.yaml are optional
 * and also checked for the structure real packs share (pack-yaml.ts). presets.yaml and schema.yaml are
 * kept whole in the index and the version document, hence their smaller cap.
 */
export const YAML_FILES = {
  'values.yaml': { rulePrefix: 'values-yaml', maxBytes: MAX_VALUES_YAML_BYTES },
  'presets.yaml': { rulePrefix: 'presets-yaml', maxBytes: 256 * 1024 },
  'schema.yaml': { rulePrefix: 'schema-yaml', maxBytes: 256 * 1024 },
} as const;
export type YamlFileName = keyof typeof YAML_FILES;

export const MAX_PRESETS_YAML_BYTES = YAML_FILES['presets.yaml'].maxBytes;
export const MAX_SCHEMA_YAML_BYTES = YAML_FILES['schema.yaml'].maxBytes;

/** Makes the problems of one file: its name leads every message, its rule prefix every rule. */
export class YamlProblems {
  constructor(readonly file: string, private readonly rulePrefix: string) {}

  make(kind: 'too-large' | 'depth' | 'syntax' | 'aliases' | 'too-complex' | 'structure', message: string): PackProblem {
    return { rule: `${this.rulePrefix}-${kind}`, message: `${this.file}: ${message}`, path: this.file };
  }
}

/**
 * Problems that make values.yaml unusable; an empty list when it is fine. An empty file is fine, and so
 * is a stream of several documents (valid YAML; each one is checked). The work is linear in the size of
 * the text; for files of more than a few KiB call it through checkValuesYamlOffThread (values-yaml-thread.ts).
 */
export function checkValuesYaml(text: string): PackProblem[] {
  const { rulePrefix, maxBytes } = YAML_FILES['values.yaml'];
  return checkYamlText(text, new YamlProblems('values.yaml', rulePrefix), maxBytes);
}

/** The check itself, for a file named by `problems`; `structure` runs on each document that is valid YAML. */
export function checkYamlText(text: string, problems: YamlProblems, maxBytes: number, structure?: StructureCheck): PackProblem[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    return [problems.make('too-large', `the file is ${bytes} bytes; at most ${maxBytes} are allowed`)];
  }
  try {
    // When the count stops the lexer early, the depth is that of the part read: already too deep, it is reported.
    const { depth, nodes } = measureTokens(text, MAX_VALUES_YAML_NODES);
    if (depth > MAX_VALUES_YAML_DEPTH) {
      return [problems.make('depth', `collections are nested too deeply (more than ${MAX_VALUES_YAML_DEPTH} levels)`)];
    }
    if (nodes > MAX_VALUES_YAML_NODES) {
      return [problems.make('too-large', `the file holds more than ${MAX_VALUES_YAML_NODES} keys, values and collections`)];
    }
    return capped(composeProblems(text, problems, structure), problems);
  } catch (error) {
    // Nothing above is expected to throw once the guards passed; a pack must still never crash a push.
    return [problems.make('syntax', `cannot be read as YAML: ${errorMessage(error)}`)];
  }
}

/** Checks the shape of one composed document (never expanded with toJS); `where` gives ` at line L, column C`. */
export type StructureCheck = (root: unknown, where: (offset: number | undefined) => string, problems: YamlProblems) => PackProblem[];

function capped(list: PackProblem[], problems: YamlProblems): PackProblem[] {
  if (list.length <= MAX_VALUES_YAML_PROBLEMS) return list;
  const kept = list.slice(0, MAX_VALUES_YAML_PROBLEMS - 1);
  const more = list.length - kept.length;
  const next = list[kept.length];
  return [...kept, { ...(next ?? problems.make('syntax', '')), message: `${problems.file}: and ${more} more problems of this file` }];
}

function composeProblems(text: string, problems: YamlProblems, structure: StructureCheck | undefined): PackProblem[] {
  const found: PackProblem[] = [];
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: false, lineCounter });
  for (const document of documents) {
    for (const error of document.errors) {
      found.push(problems.make('syntax', `not valid YAML: ${firstLine(error.message)}`));
    }
    if (document.errors.length > 0) continue;
    const treeProblems = new TreeCheck(lineCounter, problems).run(document.contents);
    found.push(...treeProblems);
    // Only a document whose aliases are sound is walked for structure (the walk does not follow aliases).
    if (structure && treeProblems.length === 0) {
      found.push(...structure(document.contents, (offset) => linePosition(lineCounter, offset), problems));
    }
  }
  return found;
}

export function linePosition(lineCounter: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return ` at line ${line}, column ${col}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** yaml's pretty errors append a source excerpt on further lines; the problem list wants one sentence. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}

/** What the tree walk learns of a node once all of it was seen: its size and depth with aliases expanded. */
interface Measure {
  weight: number;
  depth: number;
}

type Frame = { node: unknown; exit: false } | { node: object; exit: true };

/**
 * One iterative walk of a composed document, in document order (a mapping's key before its value), doing
 * what yaml's uniqueKeys and toJS() would do, in linear time: duplicate scalar keys in a mapping, aliases
 * without an anchor before them, aliases inside the collection they name (infinite once expanded), and the
 * nodes and nesting that expanding every alias would produce.
 */
class TreeCheck {
  private readonly problems: PackProblem[] = [];
  /** The latest node with each anchor so far: an alias names the latest anchor before it. */
  private readonly anchors = new Map<string, object>();
  private readonly measures = new Map<object, Measure>();
  private aliasedNodes = 0;
  /** An alias inside the node it names: nothing about the expansion is meaningful then. */
  private endless = false;

  constructor(
    private readonly lineCounter: LineCounter,
    private readonly make: YamlProblems,
  ) {}

  run(root: unknown): PackProblem[] {
    const stack: Frame[] = [{ node: root, exit: false }];
    for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
      if (frame.exit) {
        this.leave(frame.node);
        continue;
      }
      const node = frame.node;
      if (node === null || typeof node !== 'object') continue;
      if (isAlias(node)) {
        this.alias(node);
        continue;
      }
      stack.push({ node, exit: true });
      // Children pushed in reverse, so they are entered in document order.
      const children = this.enter(node);
      for (let index = children.length - 1; index >= 0; index--) stack.push({ node: children[index], exit: false });
    }
    if (this.endless) return this.problems;
    // nestingBound already bounds the nesting as written: more can only come from aliases.
    const depth = root !== null && typeof root === 'object' ? (this.measureOf(root)?.depth ?? 0) : 0;
    if (depth > MAX_VALUES_YAML_DEPTH) {
      this.problems.push(this.make.make('depth', `expanding its aliases nests collections more than ${MAX_VALUES_YAML_DEPTH} levels deep`));
    }
    if (this.aliasedNodes > MAX_VALUES_YAML_ALIASED_NODES) {
      this.problems.push(
        this.make.make('aliases', `expanding its aliases would add more than ${MAX_VALUES_YAML_ALIASED_NODES} nodes (a "billion laughs" document)`),
      );
    }
    return this.problems;
  }

  /** The children of a node in document order; records its anchor and checks a mapping's keys. */
  private enter(node: object): unknown[] {
    if (isPair(node)) return [node.key, node.value];
    if (isMap(node)) {
      this.duplicateKeys(node.items);
      this.anchor(node);
      return node.items;
    }
    if (isSeq(node)) {
      this.anchor(node);
      return node.items;
    }
    if (isScalar(node)) this.anchor(node);
    return [];
  }

  private anchor(node: { anchor?: string }): void {
    // Recorded on entry: the anchor comes before the collection's content in the text.
    if (node.anchor) this.anchors.set(node.anchor, node);
  }

  private leave(node: object): void {
    let weight = isPair(node) ? 0 : 1;
    let depth = 0;
    const children = isPair(node) ? [node.key, node.value] : isMap(node) || isSeq(node) ? (node.items as unknown[]) : [];
    for (const child of children) {
      const measure = child !== null && typeof child === 'object' ? this.measureOf(child) : undefined;
      if (!measure) continue;
      weight += measure.weight;
      depth = Math.max(depth, measure.depth);
    }
    const collection = isMap(node) || isSeq(node);
    this.measures.set(node, { weight, depth: collection ? depth + 1 : depth });
  }

  private measureOf(child: object): Measure | undefined {
    if (isAlias(child)) {
      const target = this.anchors.get(child.source);
      return target ? this.measures.get(target) : undefined;
    }
    return this.measures.get(child);
  }

  private alias(node: { source: string; range?: [number, number, number] | null }): void {
    const target = this.anchors.get(node.source);
    const where = this.position(node.range?.[0]);
    if (!target) {
      this.problems.push(this.make.make('syntax', `the alias *${node.source}${where} has no anchor &${node.source} before it`));
      return;
    }
    const measure = this.measures.get(target);
    if (!measure) {
      // Not measured yet: the walk is still inside the node the alias names.
      this.endless = true;
      this.problems.push(this.make.make('aliases', `the alias *${node.source}${where} is inside the node it names: expanding it never ends`));
      return;
    }
    // In the tree the alias weighs what its target weighs (see measureOf); the expansion is counted here.
    this.aliasedNodes += measure.weight;
  }

  /** yaml's uniqueKeys rule in linear time: scalar keys equal by resolved value (===), other keys never. */
  private duplicateKeys(items: readonly unknown[]): void {
    const seen = new Set<unknown>();
    for (const item of items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      const value = item.key.value;
      // yaml compares with ===, a Set with SameValueZero: they differ only for NaN (never equal to itself).
      if (typeof value === 'number' && Number.isNaN(value)) continue;
      if (seen.has(value)) {
        const where = this.position(item.key.range?.[0]);
        this.problems.push(this.make.make('syntax', `not valid YAML: Map keys must be unique: ${describeKey(value)} is repeated${where}`));
      } else {
        seen.add(value);
      }
    }
  }

  private position(offset: number | undefined): string {
    return linePosition(this.lineCounter, offset);
  }
}

function describeKey(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return shown.length > 60 ? `${shown.slice(0, 60)}…` : shown;
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
  return measureTokens(text, Number.POSITIVE_INFINITY).depth;
}

/**
 * nestingBound and the number of nodes (scalars, aliases and collection starts: `[`, `{`, `- `, `? `) in one
 * pass over the tokens. Counting stops once `maxNodes` is passed: the rest of the text is not even lexed.
 */
export function measureTokens(text: string, maxNodes: number): { depth: number; nodes: number } {
  const meter = new NestingMeter();
  let nodes = 0;
  let nextIsScalarSource = false;
  // A block scalar's body arrives as one token that starts at column 0 with its indentation inside;
  // its start says nothing about structure and must not close open indentation levels.
  let nextScalarIsBlockBody = false;
  for (const token of new Lexer().lex(text)) {
    if (token === CST.SCALAR) {
      nextIsScalarSource = true;
      if (++nodes > maxNodes) break;
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
    if (type !== null && NODE_TOKENS.has(type) && ++nodes > maxNodes) break;
    meter.token(token, type);
  }
  return { depth: meter.bound(), nodes };
}

/** Tokens that start a node (plain scalars arrive as CST.SCALAR, counted apart; block scalars by their header). */
const NODE_TOKENS: ReadonlySet<string> = new Set([
  'alias',
  'single-quoted-scalar',
  'double-quoted-scalar',
  'block-scalar-header',
  'flow-seq-start',
  'flow-map-start',
  'seq-item-ind',
  'explicit-key-ind',
]);

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
