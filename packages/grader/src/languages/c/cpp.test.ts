import { analyseCSource, compiledStructuralCheck, stripCCommentsAsOriginal } from '../../compare/structural';
import type { TExample } from '../../example/load-example';
import type { TResolvedCollection } from '../../example/resolve';
import { chooseSources, compilerSettings } from '../../grade/compiled-collection';
import { compilerWarnings, firstCompilerError } from '../../runners/compiled';
import { C_LANGUAGE, isCppSource } from './collection';

const SOURCE = [
  '#include <iostream>',
  '/* while (0) {} */',
  'struct Point { int x; };',
  'static int square(int v) {',
  '    return v * v;',
  '}',
  'int main() {',
  '    for (int i = 0; i < 3; i++) std::cout << square(i) << " for " << std::endl; // while',
  '    return 0;',
  '}',
].join('\n');

function structural(name: string, range?: [number, number], pattern?: string) {
  return compiledStructuralCheck({ language: 'c', source: SOURCE, name, range, pattern });
}

describe('C/C++ source analysis (the original\'s analyze_source)', () => {
  test('comments removed (// first, then /* */), string literals kept', () => {
    expect(stripCCommentsAsOriginal('a // b\n/* c\n d */ "e // f"')).toBe('a \n "e ');
    const analysis = analyseCSource(SOURCE);
    expect(analysis.hasMain).toBe(true);
    expect(analysis.defined).toEqual(['square', 'main']);
    // `for` in the string literal counts too, as in the original.
    expect(Object.fromEntries(analysis.keywords)).toEqual({ for: 2, return: 2, struct: 1 });
  });

  test('main needs (int|void) main(', () => {
    expect(analyseCSource('auto main() -> int { return 0; }').hasMain).toBe(false);
    expect(analyseCSource('void  main (void) {}').hasMain).toBe(true);
  });
});

describe('C/C++ structural checks (decision C1)', () => {
  test('the inverted [0, 0]: passes when the keyword occurs, fails when it is absent', () => {
    expect(structural('for', [0, 0]).ok).toBe(true);
    expect(structural('switch', [0, 0])).toMatchObject({ ok: false, message: '`switch` not found in source' });
    // Only in comments: not a keyword occurrence, but the raw text has it.
    expect(structural('while', [0, 0]).ok).toBe(true);
  });

  test('keyword counts against the range (max 0 unbounded); value/countRequirement never decide', () => {
    expect(structural('return', [3, 5])).toMatchObject({ ok: false, message: '`return` found 2 times, allowed 3 to 5', expected: '3 to 5', actual: '2' });
    expect(structural('return', [1, 0]).ok).toBe(true);
    expect(structural('return').ok).toBe(true);
  });

  test('main, defined functions and other names', () => {
    expect(structural('main')).toMatchObject({ ok: true, message: 'main() function found' });
    expect(compiledStructuralCheck({ language: 'c', source: 'int helper(void);', name: 'main', range: undefined })).toMatchObject({ ok: false, message: 'main() function not found' });
    expect(structural('square', [7, 9]).ok).toBe(true);
    // A name that is not a keyword only has to occur, case-sensitively; its range is not looked at.
    expect(structural('cout', [5, 9]).ok).toBe(true);
    expect(structural('COUT').ok).toBe(false);
    expect(structural('x', undefined, 'std::\\w+').ok).toBe(true);
    expect(structural('x', undefined, 'STD::\\w+').ok).toBe(false);
  });
});

describe('C/C++ compile settings', () => {
  test('g++ for any C++ source (also .hpp/.hxx, and .C: decision C2), gcc otherwise', () => {
    expect(['a.cpp', 'a.cc', 'a.cxx', 'a.CPP', 'a.hpp', 'a.hxx', 'a.C'].map(isCppSource)).toEqual([true, true, true, true, true, true, true]);
    expect(['a.c', 'a.h', 'a.cu'].map(isCppSource)).toEqual([false, false, false]);
    expect(C_LANGUAGE.defaultCompiler(['main.c', 'util.cpp'])).toBe('g++');
    expect(C_LANGUAGE.defaultCompiler(['main.c'])).toBe('gcc');
  });

  const example = (settings?: { flags?: string[]; compiler?: string }) => ({ example: { meta: { properties: { executionBackend: settings ? { slug: 'x', settings } : undefined } } } }) as unknown as { example: TExample };
  const collection = (fields: Record<string, unknown>) => ({ collection: { type: 'stdout', name: 'c', tests: [], ...fields }, inputAnswers: [] }) as unknown as TResolvedCollection;

  test('-Wall -Wextra unless compilerFlags replace them (F4); no -std, no -lm', () => {
    expect(compilerSettings(C_LANGUAGE, example(), collection({}), ['a.c'])).toEqual({ compiler: 'gcc', flags: ['-Wall', '-Wextra'], linkerFlags: [] });
    expect(compilerSettings(C_LANGUAGE, example(), collection({ compilerFlags: ['-std=c99'] }), ['a.cpp'])).toEqual({ compiler: 'g++', flags: ['-std=c99'], linkerFlags: [] });
    expect(compilerSettings(C_LANGUAGE, example({ compiler: 'gcc', flags: ['-O1'] }), collection({ linkerFlags: ['-lm'] }), ['a.c'])).toEqual({ compiler: 'gcc', flags: ['-Wall', '-Wextra', '-O1'], linkerFlags: ['-lm'] });
    expect(compilerSettings(C_LANGUAGE, example({ compiler: 'gcc' }), collection({ compiler: 'clang' }), ['a.c']).compiler).toBe('clang');
  });

  test('sources: the original\'s glob order (*.c, *.cpp, *.cxx, *.cc), then .C; headers never globbed', () => {
    const present = new Set(['z.c', 'a.cpp', 'b.cc', 'm.C', 'x.h', 'y.hpp', 'dir/q.c']);
    expect(chooseSources(C_LANGUAGE, collection({}), present)).toEqual(['z.c', 'a.cpp', 'b.cc', 'm.C']);
  });
});

describe('gcc/g++ messages in the student\'s terms', () => {
  test('the first error line with file and line, without ./', () => {
    const output = "./e.c: In function ‘main’:\n./e.c:3:2: error: expected ‘=’, ‘,’, ‘;’, ‘asm’ or ‘__attribute__’ before ‘return’\n    3 |  return 0; }\n";
    expect(firstCompilerError(output)).toBe('e.c:3:2: error: expected ‘=’, ‘,’, ‘;’, ‘asm’ or ‘__attribute__’ before ‘return’');
    expect(firstCompilerError("./m.c:1:10: fatal error: nothere.h: No such file or directory\ncompilation terminated.\n")).toBe('m.c:1:10: fatal error: nothere.h: No such file or directory');
  });

  test('linker errors name the symbol; other failures their first error line', () => {
    expect(firstCompilerError("/usr/bin/ld: /tmp/ccL11Z8y.o: in function `main':\ns.c:(.text+0x39): undefined reference to `sqrt'\ncollect2: error: ld returned 1 exit status\n")).toBe("s.c: undefined reference to `sqrt'");
    expect(firstCompilerError("/usr/bin/ld: /tmp/ccB.o: in function `f':\nb.c:(.text+0x0): multiple definition of `f'; /tmp/ccA.o:a.c:(.text+0x0): first defined here\n")).toBe("b.c: multiple definition of `f'; a.c: first defined here");
    expect(firstCompilerError('gcc: error: ./x.c: No such file or directory\n')).toBe('gcc: error: x.c: No such file or directory');
  });

  test('warnings are the stderr lines with `warning:`, any case (gfortran writes `Warning:`)', () => {
    expect(compilerWarnings("./a.c:2:9: warning: unused variable ‘x’ [-Wunused-variable]\n    2 |     int x;\nWarning: Unused variable ‘y’\n")).toHaveLength(2);
  });
});
