// The layer rules of docs/ARCHITECTURE.md, enforced: every import of every file under src/ is read with the
// TypeScript compiler's own pre-processor (static imports, re-exports, `import()` and `import type` alike), and
// each rule is checked against that graph. A rule that no file could break would prove nothing, so each one
// also asserts that the layers it names exist and import something.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const ARCHITECTURE_DOC = fileURLToPath(new URL('../../docs/ARCHITECTURE.md', import.meta.url));

interface ImportEdge {
  /** The importing file, relative to src/ (e.g. `http/app.ts`). */
  from: string;
  /** A project file relative to src/ (`registry/registry.ts`), or a package name (`express`, `node:fs`). */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): ImportEdge[] {
  const from = relative(SRC, file);
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return { from, to: packageName(fileName) };
    return { from, to: relative(SRC, resolve(dirname(file), fileName)).replace(/\.js$/, '.ts') };
  });
}

/** `@aws-sdk/client-s3/x` → `@aws-sdk/client-s3`, `tar/dist/x` → `tar`, `node:fs/promises` → `node:fs`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** The top folder of a project file (`http/routes/packs.ts` → `http`); packages have none. */
function layerOf(path: string): string | undefined {
  if (path.startsWith('..') || !path.endsWith('.ts')) return undefined;
  return path.includes('/') ? path.split('/')[0] : '';
}

const EDGES = sourceFiles(SRC).flatMap(importsOf);
const projectEdges = EDGES.filter((edge) => layerOf(edge.to) !== undefined);
const crossLayer = projectEdges.filter((edge) => layerOf(edge.from) !== layerOf(edge.to));

function edgesFrom(layer: string): ImportEdge[] {
  return EDGES.filter((edge) => layerOf(edge.from) === layer);
}

function describeEdges(edges: ImportEdge[]): string[] {
  return edges.map((edge) => `${edge.from} imports ${edge.to}`);
}

const DATABASE_DRIVERS = new Set(['better-sqlite3', 'pg', 'postgres', 'mysql2', 'sqlite3']);

describe('the layer rules of docs/ARCHITECTURE.md', () => {
  it('reads a non-trivial import graph (the rules below could otherwise pass vacuously)', () => {
    const layers = new Set(EDGES.map((edge) => layerOf(edge.from)));
    for (const layer of ['api', 'packs', 'storage', 'db', 'registry', 'http', 'client', 'cli', 'config', 'auth']) {
      expect(layers, `no file under src/${layer}/`).toContain(layer);
    }
    expect(crossLayer.length).toBeGreaterThan(20);
  });

  it('api (the contract) imports nothing else of the project', () => {
    expect(describeEdges(crossLayer.filter((edge) => layerOf(edge.from) === 'api'))).toEqual([]);
  });

  it('packs (pure rules) imports no other folder of the project', () => {
    expect(describeEdges(crossLayer.filter((edge) => layerOf(edge.from) === 'packs'))).toEqual([]);
  });

  it('registry imports neither express nor a database driver', () => {
    const offending = edgesFrom('registry').filter((edge) => edge.to === 'express' || DATABASE_DRIVERS.has(edge.to));
    expect(describeEdges(offending)).toEqual([]);
    expect(edgesFrom('registry').length).toBeGreaterThan(0);
  });

  it('outside db, the index is known by its interface: only the composition root constructs a driver', () => {
    const intoDb = crossLayer.filter((edge) => layerOf(edge.to) === 'db');
    const offending = intoDb.filter((edge) => edge.to !== 'db/pack-index.ts' && !['cli/serve.ts', 'cli/admin.ts', 'cli/tokens.ts'].includes(edge.from));
    expect(describeEdges(offending)).toEqual([]);
    expect(intoDb.filter((edge) => edge.from.startsWith('registry/')).length).toBeGreaterThan(0);
  });

  it('client (packctl) imports only packs and the contract module of the project', () => {
    const offending = crossLayer.filter((edge) => layerOf(edge.from) === 'client' && !['packs', 'api'].includes(layerOf(edge.to) ?? ''));
    expect(describeEdges(offending)).toEqual([]);
  });

  it('nothing outside cli imports cli', () => {
    const offending = crossLayer.filter((edge) => layerOf(edge.to) === 'cli');
    expect(describeEdges(offending)).toEqual([]);
  });

  it('http reaches storage and the index only through registry', () => {
    const offending = crossLayer.filter(
      (edge) => layerOf(edge.from) === 'http' && ['storage', 'db'].includes(layerOf(edge.to) ?? ''),
    );
    expect(describeEdges(offending)).toEqual([]);
    const drivers = edgesFrom('http').filter((edge) => DATABASE_DRIVERS.has(edge.to));
    expect(describeEdges(drivers)).toEqual([]);
  });

  it('only cli and http import express and the HTTP layer', () => {
    const express = EDGES.filter((edge) => ['express', 'multer'].includes(edge.to));
    expect(describeEdges(express.filter((edge) => !['http', 'cli'].includes(layerOf(edge.from) ?? '')))).toEqual([]);
    const http = crossLayer.filter((edge) => layerOf(edge.to) === 'http' && layerOf(edge.from) !== 'cli');
    expect(describeEdges(http)).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const edge of crossLayer) {
      const from = layerOf(edge.from) ?? '';
      const to = layerOf(edge.to) ?? '';
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)?.add(to);
    }
    const cycles: string[] = [];
    const visit = (layer: string, path: string[]): void => {
      if (path.includes(layer)) {
        cycles.push([...path.slice(path.indexOf(layer)), layer].join(' → '));
        return;
      }
      for (const next of graph.get(layer) ?? []) visit(next, [...path, layer]);
    };
    for (const layer of graph.keys()) visit(layer, []);
    expect(cycles).toEqual([]);
  });
});

/** `storage/blobs/{filesystem,memory}.ts` → both paths. */
function expandBraces(path: string): string[] {
  const match = /^(.*)\{([^}]+)\}(.*)$/.exec(path);
  if (!match) return [path];
  const [, head = '', alternatives = '', tail = ''] = match;
  return alternatives.split(',').flatMap((alternative) => expandBraces(`${head}${alternative}${tail}`));
}

/** The files named in the `src/` tree of docs/ARCHITECTURE.md: the first word of each line of that block. */
function filesInArchitectureDoc(): string[] {
  const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
  const tree = /```\nsrc\/\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return tree
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((word) => word.endsWith('.ts'))
    .flatMap(expandBraces);
}

describe('docs/ARCHITECTURE.md', () => {
  it('names every file under src/ in its tree, and no file that does not exist', () => {
    const documented = filesInArchitectureDoc();
    const actual = sourceFiles(SRC).map((file) => relative(SRC, file));
    expect(documented.length).toBeGreaterThan(50);
    expect(actual.filter((file) => !documented.includes(file)).sort(), 'files missing from the tree').toEqual([]);
    expect(documented.filter((file) => !actual.includes(file)).sort(), 'named but not there').toEqual([]);
  });
});
