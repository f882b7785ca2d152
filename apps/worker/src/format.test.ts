import { formatTable, oneLine } from './format';

describe('oneLine and formatTable', () => {
  it('puts text on one line and truncates it with an ellipsis', () => {
    expect(oneLine('a\n  b\tc ', 10)).toBe('a b c');
    expect(oneLine('abcdefghij', 5)).toBe('abcd…');
    expect(oneLine('abcdefghij', 5)).toHaveLength(5);
  });

  it('aligns columns without trailing blanks', () => {
    expect(formatTable(['a', 'bb'], [['xxx', ''], ['y', 'z']])).toBe('a    bb\nxxx\ny    z');
  });
});
