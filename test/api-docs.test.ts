// docs/API.md and the names lib/index.ts exports must agree: each export is documented, and
// each class, type, helper and error the document describes is exported.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const doc = readFileSync(`${root}docs/API.md`, 'utf8');

// Sections of the document that are not names of the API.
const SECTIONS = ['Conventions', 'Types', 'Errors', 'Lifetimes'];

/** Every name lib/index.ts exports, values and types, through `export *` too. */
function exportedNames(): string[] {
  const entry = `${root}lib/index.ts`;
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(module).map((s) => s.getName());
}

/** Section headings that are one identifier (`## Clip`), names in `### \`A\`, \`B\`` headings, and the first column of the helper and error tables. */
function documentedNames(): string[] {
  const names = new Set<string>();
  for (const m of doc.matchAll(/^## ([A-Z]\w*)$/gm)) if (!SECTIONS.includes(m[1])) names.add(m[1]);
  for (const m of doc.matchAll(/^### (`\w+`(?:, `\w+`)*)$/gm))
    for (const n of m[1].matchAll(/`(\w+)`/g)) names.add(n[1]);
  for (const section of ['Helpers and constants', 'Errors']) {
    const body = doc.split(`\n## ${section}\n`)[1].split('\n## ')[0];
    for (const row of body.matchAll(/^\| ((?:`\w+`(?:, )?)+) \|/gm))
      for (const n of row[1].matchAll(/`(\w+)`/g)) names.add(n[1]);
  }
  return [...names];
}

describe('docs/API.md', () => {
  const exported = exportedNames();
  const documented = documentedNames();

  it('documents every export of lib/index.ts', () => {
    expect(exported).toEqual(
      expect.arrayContaining(['SegmentStore', 'TimeRule', 'StoreInfo', 'RingclipError', 'formatVersion']),
    );
    // In a heading, in backquotes, or declared in a code block (`interface TimeRule {`).
    const pattern = (name: string) =>
      new RegExp(`^#{2,3} [^\\n]*\\b${name}\\b|\`${name}\`|^(?:interface|type) ${name}\\b`, 'm');
    const missing = exported.filter((name) => !pattern(name).test(doc));
    expect(missing).toEqual([]);
  });

  it('describes only names that lib/index.ts exports', () => {
    expect(documented.length).toBeGreaterThan(30);
    expect(documented.filter((name) => !exported.includes(name))).toEqual([]);
  });
});
