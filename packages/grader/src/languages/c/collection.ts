import path from 'node:path';
import type { TResolvedCollection } from '../../example/resolve';
import type { TCollectionOutcome } from '../../grade/common';
import { existFileOrName, gradeCompiledCollection, type TCompiledLanguage } from '../../grade/compiled-collection';
import type { TGradeContext } from '../../grade/context';

/** Extensions that make the original choose g++ (`c.py` detect_language), plus `.C` (decision C2: it never matched there). */
const CPP_EXTENSIONS = new Set(['.cpp', '.cxx', '.cc', '.hpp', '.hxx']);

export function isCppSource(file: string): boolean {
  const ext = path.extname(file);
  return ext === '.C' || CPP_EXTENSIONS.has(ext.toLowerCase());
}

/**
 * C and C++ as the original's C tester: g++ when any source is C++ (so a `.c` beside a `.cpp` is
 * compiled as C++), else gcc; `-Wall -Wextra` unless test.yaml gives `compilerFlags`.
 */
export const C_LANGUAGE: TCompiledLanguage = {
  id: 'c',
  label: 'C/C++',
  structural: 'c',
  // The original globs *.c, *.cpp, *.cxx, *.cc (in that order); `.C` is ours (C2).
  sourceSuffixes: ['.c', '.cpp', '.cxx', '.cc', '.C'],
  defaultCompiler: (sources) => (sources.some(isCppSource) ? 'g++' : 'gcc'),
  defaultFlags: () => ['-Wall', '-Wextra'],
  existPattern: existFileOrName,
};

export function gradeCCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  return gradeCompiledCollection(C_LANGUAGE, ctx, collection);
}
