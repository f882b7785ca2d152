import { analyseFortranSource, compiledStructuralCheck, stripFortranComments } from '../../compare/structural';
import { chooseSources, compilerSettings } from '../../grade/compiled-collection';
import type { TExample } from '../../example/load-example';
import type { TResolvedCollection } from '../../example/resolve';
import { firstCompilerError } from '../../runners/compiled';
import { FORTRAN_LANGUAGE, fortranStandard } from './language';

const SOURCE = [
  'PROGRAM Calc',
  '    implicit none',
  '    integer :: i, n',
  '    ! do not count: if (x) call nothing()',
  '    read (*, *) n',
  '    do i = 1, n',
  '        if (i > 2) print *, "big! do while"',
  '    end do',
  '    call report(n)',
  'contains',
  '    subroutine report(m)',
  '        integer, intent(in) :: m',
  '        write (*, *) m',
  '    end subroutine report',
  '    integer function twice(k)',
  '        integer, intent(in) :: k',
  '        twice = 2 * k',
  '    end function twice',
  'end program calc',
].join('\n');

function structural(name: string, range?: [number, number], pattern?: string) {
  return compiledStructuralCheck({ language: 'fortran', source: SOURCE, name, range, pattern });
}

describe('Fortran source analysis (the original\'s analyze_source)', () => {
  test('comments are cut at the first `!` of a line, strings included (as the original)', () => {
    expect(stripFortranComments('print *, "Hi!" ! greet\nx = 1')).toBe('print *, "Hi\nx = 1');
  });

  test('lower-cased; program, subroutine and function names; keyword counts without comments', () => {
    const analysis = analyseFortranSource(SOURCE);
    expect(analysis.hasMain).toBe(true);
    expect(analysis.defined).toEqual(expect.arrayContaining(['calc', 'report', 'twice']));
    expect(Object.fromEntries(analysis.keywords)).toEqual({ if: 1, do: 2, read: 1, write: 1, print: 1, call: 1 });
  });

  test('module procedure is not a module', () => {
    expect(analyseFortranSource('module shapes\n  interface area\n    module procedure square\n  end interface\nend module shapes\n').defined).toEqual(['shapes', 'shapes']);
  });
});

describe('Fortran structural checks (decision C1)', () => {
  test('`program` needs a program statement', () => {
    expect(structural('program').ok).toBe(true);
    expect(compiledStructuralCheck({ language: 'fortran', source: 'subroutine s\nend subroutine s\n', name: 'program', range: undefined })).toMatchObject({ ok: false, message: 'program statement not found' });
  });

  test('a defined program/subroutine/function name passes, whatever its range', () => {
    expect(structural('report', [5, 5]).ok).toBe(true);
    expect(structural('twice').ok).toBe(true);
  });

  test('a keyword that occurs is counted against the range, max 0 unbounded; unset range is [0, 0]', () => {
    expect(structural('do', [1, 1])).toMatchObject({ ok: false, message: '`do` found 2 times, allowed 1 to 1', publicMessage: '`do` found 2 times, outside the allowed range', actual: '2' });
    expect(structural('do', [2, 0]).ok).toBe(true);
    expect(structural('do').ok).toBe(true);
    expect(structural('if', [0, 0]).ok).toBe(true);
  });

  test('an absent keyword falls to the case-insensitive substring search: [0, 0] fails when it is absent', () => {
    expect(structural('allocate', [0, 0])).toMatchObject({ ok: false, message: '`allocate` not found in source' });
    // `while` occurs only in a string after a `!`, which the analysis cut: the raw text still has it.
    expect(structural('while', [0, 0]).ok).toBe(true);
    expect(structural('select').ok).toBe(false);
  });

  test('anything else is a case-insensitive substring of the raw source, comments included', () => {
    expect(structural('IMPLICIT NONE').ok).toBe(true);
    expect(structural('nothing()').ok).toBe(true);
    expect(structural('goto').ok).toBe(false);
    // Names compare lower-case: `Calc` is no defined name, but found as text.
    expect(structural('Calc')).toMatchObject({ ok: true, message: '`Calc` found in source' });
  });

  test('a pattern is searched case-insensitively; its text stays out of the public message', () => {
    expect(structural('x', undefined, 'SUBROUTINE\\s+report').ok).toBe(true);
    expect(structural('x', undefined, 'recursive\\s+function')).toMatchObject({ ok: false, publicMessage: 'the expected pattern was not found in the source' });
  });
});

describe('Fortran compile settings (decision F4)', () => {
  test('-std by the first known extension, as the original (`.f18` is its f08)', () => {
    expect(fortranStandard(['a.f90'])).toBe('f95');
    expect(fortranStandard(['a.F90'])).toBe('f95');
    expect(fortranStandard(['a.f95'])).toBe('f95');
    expect(fortranStandard(['a.f03'])).toBe('f2003');
    expect(fortranStandard(['a.f08'])).toBe('f2008');
    expect(fortranStandard(['a.f18'])).toBe('f2008');
    expect(fortranStandard(['old.f'])).toBe('legacy');
    expect(fortranStandard(['old.FOR', 'new.f08'])).toBe('legacy');
    expect(fortranStandard(['lib.c', 'b.f03'])).toBe('f2003');
    expect(fortranStandard(['x.inc'])).toBe('f95');
  });

  const example = (settings?: { flags?: string[]; compiler?: string }) => ({ example: { meta: { properties: { executionBackend: settings ? { slug: 'x', settings } : undefined } } } }) as unknown as { example: TExample };
  const collection = (fields: Record<string, unknown>) => ({ collection: { type: 'stdout', name: 'c', tests: [], ...fields }, inputAnswers: [] }) as unknown as TResolvedCollection;

  test('defaults only without compilerFlags; given flags replace them; meta.yaml flags are added', () => {
    expect(compilerSettings(FORTRAN_LANGUAGE, example(), collection({}), ['a.f90'])).toEqual({ compiler: 'gfortran', flags: ['-std=f95', '-Wall', '-Wextra', '-fcheck=all'], linkerFlags: [] });
    expect(compilerSettings(FORTRAN_LANGUAGE, example(), collection({ compilerFlags: ['-O2'] }), ['a.f90']).flags).toEqual(['-O2']);
    expect(compilerSettings(FORTRAN_LANGUAGE, example(), collection({ compilerFlags: [] }), ['a.f90']).flags).toEqual([]);
    expect(compilerSettings(FORTRAN_LANGUAGE, example({ flags: ['-g'] }), collection({}), ['a.f']).flags).toEqual(['-std=legacy', '-Wall', '-Wextra', '-fcheck=all', '-g']);
    expect(compilerSettings(FORTRAN_LANGUAGE, example({ flags: ['-g'], compiler: 'gfortran-12' }), collection({ compilerFlags: ['-O1'], linkerFlags: ['-lblas'] }), ['a.f90'])).toEqual({ compiler: 'gfortran-12', flags: ['-g', '-O1'], linkerFlags: ['-lblas'] });
  });

  test('sources: sourceFiles, else an existing entryPoint, else the globbed extensions in the original\'s order (top level only)', () => {
    const present = new Set(['main.f90', 'util.f', 'lib.F90', 'sub/deep.f90', 'notes.txt', '.f90']);
    expect(chooseSources(FORTRAN_LANGUAGE, collection({ sourceFiles: ['b.f90', 'a.f90'] }), present)).toEqual(['b.f90', 'a.f90']);
    expect(chooseSources(FORTRAN_LANGUAGE, collection({ entryPoint: 'main.f90' }), present)).toEqual(['main.f90']);
    expect(chooseSources(FORTRAN_LANGUAGE, collection({ entryPoint: 'missing.f90' }), present)).toEqual(['util.f', 'main.f90', 'lib.F90']);
  });
});

describe('gfortran messages in the student\'s terms', () => {
  test('the first error with the location gfortran prints above it', () => {
    const output = './bad.f90:4:5:\n\n    4 |     prnt *, "Hello"\n      |     1\nError: Unclassifiable statement at (1)\n./bad.f90:5:5:\n\n    5 |     x = 1\n      |     1\nError: Symbol ‘x’ at (1) has no IMPLICIT type\n';
    expect(firstCompilerError(output)).toBe('bad.f90:4:5: Error: Unclassifiable statement at (1)');
    expect(firstCompilerError('./w.f90:3:21:\n\n    3 | x\n      | 1\nWarning: Unused variable\n/work/w.f90:9:1-4:\n\nFatal Error: Cannot open module file ‘m.mod’\n')).toBe('w.f90:9:1-4: Fatal Error: Cannot open module file ‘m.mod’');
  });

  test('a linker error names the symbol and the student\'s file, not the temporary object', () => {
    const output = "/usr/bin/ld: /tmp/ccSywi85.o: in function `MAIN__':\nl.f90:(.text+0xa): undefined reference to `nothere_'\ncollect2: error: ld returned 1 exit status\n";
    expect(firstCompilerError(output)).toBe("l.f90: undefined reference to `nothere_'");
  });
});
