import { checkOccurrences, countCOccurrences, countPatternOccurrences, countPythonOccurrences, stripCComments, type TPyToken } from './structural';

// Tokens as Python's tokenize reports them for:  for i in range(3): print(np.pi)  # for
const tokens: TPyToken[] = [
  ['ENCODING', 'utf-8'],
  ['NAME', 'for'],
  ['NAME', 'i'],
  ['NAME', 'in'],
  ['NAME', 'range'],
  ['OP', '('],
  ['NUMBER', '3'],
  ['OP', ')'],
  ['OP', ':'],
  ['NAME', 'print'],
  ['OP', '('],
  ['NAME', 'np'],
  ['OP', '.'],
  ['NAME', 'pi'],
  ['OP', ')'],
  ['COMMENT', '# for'],
  ['STRING', '"for"'],
  ['NEWLINE', '\n'],
  ['ENDMARKER', ''],
];

describe('Python structural counts', () => {
  test('counts tokens, not text: comments and strings do not count', () => {
    expect(countPythonOccurrences({ tokens, name: 'for', needle: ['for'] })).toBe(1);
    expect(countPythonOccurrences({ tokens, name: 'while', needle: ['while'] })).toBe(0);
  });

  test('occuranceType restricts the token type', () => {
    expect(countPythonOccurrences({ tokens, name: 'for', needle: ['for'], occuranceType: 'NAME' })).toBe(1);
    expect(countPythonOccurrences({ tokens, name: '(', needle: ['('], occuranceType: 'NAME' })).toBe(0);
    expect(countPythonOccurrences({ tokens, name: '(', needle: ['('], occuranceType: 'OP' })).toBe(2);
  });

  test('multi-token names match as a sequence', () => {
    expect(countPythonOccurrences({ tokens, name: 'np.pi', needle: ['np', '.', 'pi'] })).toBe(1);
    expect(countPythonOccurrences({ tokens, name: 'np.e', needle: ['np', '.', 'e'] })).toBe(0);
  });
});

describe('C structural counts', () => {
  const source = '/* printf in a comment */\n#include <stdio.h>\nint main() {\n  // scanf here\n  printf("printf %d", 1);\n  scanf("%d", &a); printf("x");\n  return 0;\n}\n';

  test('identifiers outside comments and strings', () => {
    expect(stripCComments(source)).not.toContain('comment');
    expect(countCOccurrences(source, 'printf')).toBe(2);
    expect(countCOccurrences(source, 'scanf')).toBe(1);
    expect(countCOccurrences(source, 'main')).toBe(1);
    expect(countCOccurrences(source, 'print')).toBe(0);
    expect(countPatternOccurrences(source, 'print\\w')).toBe(4);
  });
});

describe('allowedOccuranceRange', () => {
  test('[min, max] with max 0 meaning unbounded', () => {
    expect(checkOccurrences('for', 5, [0, 0], undefined).ok).toBe(true);
    expect(checkOccurrences('randint', 1, [1, 1], undefined).ok).toBe(true);
    expect(checkOccurrences('randint', 2, [1, 1], undefined).ok).toBe(false);
    expect(checkOccurrences('printf', 3, [4, 20], undefined).ok).toBe(false);
    expect(checkOccurrences('printf', 0, [1, 0], undefined).ok).toBe(false);
  });

  test('countRequirement is exact; with neither the name must occur', () => {
    expect(checkOccurrences('if', 2, undefined, 2).ok).toBe(true);
    expect(checkOccurrences('if', 3, undefined, 2).ok).toBe(false);
    expect(checkOccurrences('main', 1, undefined, undefined).ok).toBe(true);
    expect(checkOccurrences('main', 0, undefined, undefined).ok).toBe(false);
  });

  test('the public message does not name the allowed count', () => {
    expect(checkOccurrences('sorted', 2, [0, 1], undefined)).toMatchObject({ ok: false, message: '`sorted` found 2 times, allowed 0 to 1', publicMessage: '`sorted` found 2 times, outside the allowed range' });
    expect(checkOccurrences('if', 3, undefined, 424242).publicMessage).toBe('`if` found 3 times, not the required number');
  });
});
