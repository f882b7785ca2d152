import { parseDriverReport } from './driver-report';

const base = { status: 'completed', exitCode: 0, phases: ['entryPoint', 'setUpCode', 'tearDownCode', 'values'], warnings: [], values: {} };
const parse = (report: unknown, mode: 'run' | 'tokenize' | 'compile' = 'run') => parseDriverReport(Buffer.from(JSON.stringify(report)), mode);

test('a complete report in phase order is accepted', () => {
  expect(parse({ ...base, values: { x: { ok: true, value: { t: 'int', v: 1, pytype: 'int', str: '1' } } } })?.status).toBe('completed');
  expect(parse({ ...base, status: 'error', exitCode: 1, phases: ['entryPoint'], phase: 'setUpCode' })?.status).toBe('error');
  expect(parse({ ...base, phases: [] }, 'tokenize')?.status).toBe('completed');
});

test('phases out of order, a completed run that skipped a phase, unknown fields or malformed values are refused', () => {
  expect(parse({ ...base, phases: ['setUpCode', 'entryPoint', 'tearDownCode', 'values'] })).toBeUndefined();
  expect(parse({ ...base, phases: ['entryPoint', 'values'] })).toBeUndefined();
  expect(parse({ ...base, phases: ['entryPoint', 'setUpCode', 'tearDownCode'] })).toBeUndefined();
  expect(parse({ ...base, nonce: 'x' })).toBeUndefined();
  expect(parse({ ...base, values: { x: { ok: true, value: { t: 'ndarray', data: null } } } })).toBeUndefined();
  expect(parse({ ...base, values: { x: { ok: true, value: { t: 'int', v: 'not a number' } } } })).toBeUndefined();
  expect(parseDriverReport(Buffer.from('{"status": "completed"'), 'run')).toBeUndefined();
});

test('arrays whose data does not fill their shape, or elements of another form, are refused', () => {
  const value = (v: unknown) => ({ ...base, values: { a: { ok: true, value: v } } });
  expect(parse(value({ t: 'ndarray', dtype: 'float64', kind: 'f', shape: [2, 2], data: [1, 2, 3, 'nan'] }))).toBeDefined();
  expect(parse(value({ t: 'ndarray', dtype: 'complex128', kind: 'c', shape: [1], data: [[1, 'inf']] }))).toBeDefined();
  expect(parse(value({ t: 'ndarray', dtype: 'object', kind: 'O', shape: [1], data: [{ t: 'none' }] }))).toBeDefined();
  expect(parse(value({ t: 'ndarray', dtype: 'float64', kind: 'f', shape: [2, 2], data: [1, 2, 3] }))).toBeUndefined();
  expect(parse(value({ t: 'ndarray', dtype: 'float64', kind: 'f', shape: [1], data: [{ x: 1 }] }))).toBeUndefined();
  expect(parse(value({ t: 'npscalar', dtype: 'int64', kind: 'i', v: { x: 1 } }))).toBeUndefined();
});
