import { exampleContentHash, exampleObjectPrefix } from './content-hash';

const f = (path: string, text: string) => ({ path, data: Buffer.from(text) });

describe('exampleContentHash', () => {
  it('ignores order and distinguishes paths, contents and boundaries', () => {
    const a = exampleContentHash([f('a', 'x'), f('b', 'y')]);
    expect(exampleContentHash([f('b', 'y'), f('a', 'x')])).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(exampleContentHash([f('a', 'x'), f('b', 'z')])).not.toBe(a);
    expect(exampleContentHash([f('a', 'x'), f('c', 'y')])).not.toBe(a);
    expect(exampleContentHash([f('ab', ''), f('c', '')])).not.toBe(exampleContentHash([f('a', 'b'), f('c', '')]));
  });

  it('names the storage prefix by identifier and version', () => {
    expect(exampleObjectPrefix('itpcp.pgph.py.lambda', '1.0')).toBe('examples/itpcp.pgph.py.lambda/1.0/');
  });
});
