import { describeOctaveError, parseOctaveReport, warningsFromStderr } from './runner';

const completed = {
  status: 'completed',
  phases: ['entryPoint', 'setUpCode', 'tearDownCode', 'values'],
  warnings: [],
  values: { x: { ok: true, v: { t: 'num', c: 'double', sz: [1, 1], re: [1] } }, y: { ok: false, e: "'y' undefined" } },
};

function parse(value: unknown) {
  return parseOctaveReport(Buffer.from(JSON.stringify(value)));
}

describe('parseOctaveReport', () => {
  test('accepts what the driver writes', () => {
    expect(parse(completed)).toMatchObject({ status: 'completed', values: { x: { ok: true }, y: { ok: false, e: "'y' undefined" } } });
    expect(
      parse({
        status: 'error',
        phases: ['entryPoint'],
        warnings: ['careful'],
        phase: 'setUpCode',
        error: { id: 'Octave:undefined-function', message: "'z' undefined", stack: [{ file: 'a.m', name: 'a', line: 3, column: 1 }] },
        values: {},
      }),
    ).toMatchObject({ status: 'error', phase: 'setUpCode' });
  });

  test('refuses anything else (a forged or broken report fails the run as tampered)', () => {
    expect(parseOctaveReport(Buffer.from('not json'))).toBeUndefined();
    expect(parse({ ...completed, extra: true })).toBeUndefined();
    expect(parse({ ...completed, phases: ['setUpCode', 'entryPoint', 'tearDownCode', 'values'] })).toBeUndefined();
    expect(parse({ ...completed, phases: ['entryPoint'] })).toBeUndefined();
    expect(parse({ ...completed, status: 'error' })).toBeUndefined();
    expect(parse({ ...completed, status: 'passed' })).toBeUndefined();
    expect(parse({ ...completed, values: { x: { ok: true, v: { t: 'num', c: 'double', sz: [2, 2], re: [1] } } } })).toBeUndefined();
    expect(parse({ ...completed, values: { x: { ok: true, value: 1 } } })).toBeUndefined();
  });
});

test('warningsFromStderr takes the warning lines, not their trace', () => {
  expect(warningsFromStderr('warning: division by zero\nwarning: called from\n    f at line 2 column 3\nerror: x\nwarning: second\n')).toEqual(['division by zero', 'second']);
});

test("describeOctaveError says what happened where, in the student's terms", () => {
  const stack = [{ file: 'solution.m', name: 'solution', line: 2, column: 3 }];
  expect(describeOctaveError({ id: 'Octave:nonconformant-args', message: 'operator *: nonconformant arguments', stack }, 'setUpCode')).toBe(
    'raised an error (solution.m, line 2): operator *: nonconformant arguments',
  );
  expect(describeOctaveError({ id: '', message: "'q' undefined", stack: [] }, 'tearDownCode')).toBe("raised an error in tearDownCode: 'q' undefined");
  expect(describeOctaveError({ id: '', message: 'parse error near line 3 of file solution.m', stack: [] }, 'setUpCode')).toBe('raised an error: parse error near line 3 of file solution.m');
  expect(describeOctaveError(undefined, 'entryPoint')).toBe('raised an error');
});
