import { checkOctaveRange, countOctaveOccurrences, stripOctaveCommentsAndStrings } from './structural';

describe('stripOctaveCommentsAndStrings', () => {
  test('line comments with % and #, outside strings only (O10 fixed)', () => {
    expect(stripOctaveCommentsAndStrings('x = 1; % for each\ny = 2; # while')).toBe('x = 1; \ny = 2; ');
    expect(stripOctaveCommentsAndStrings("s = 'a % b'; for k = 1:3")).toBe('s = ""; for k = 1:3');
    expect(stripOctaveCommentsAndStrings('s = "50% # done"; if true')).toBe('s = ""; if true');
  });

  test('block comments, nested, and ... continuations', () => {
    expect(stripOctaveCommentsAndStrings('a = 1;\n%{\nfor k = 1:3\n  %{\n  while\n  %}\nif\n%}\nb = 2;')).toBe('a = 1;\n\n\n\n\n\n\n\nb = 2;');
    expect(stripOctaveCommentsAndStrings('#{\nfor\n#}\nx')).toBe('\n\n\nx');
    // Not a block comment: %{ with code on its line.
    expect(stripOctaveCommentsAndStrings('x = 1; %{ for\ny = 2;')).toBe('x = 1; \ny = 2;');
    expect(stripOctaveCommentsAndStrings('x = [1, ... for the rest\n  2];')).toBe('x = [1, \n  2];');
  });

  test("the transpose ' is not a string quote", () => {
    expect(stripOctaveCommentsAndStrings("y = x'; for k = 1:2, z = k'; end")).toBe("y = x'; for k = 1:2, z = k'; end");
    expect(stripOctaveCommentsAndStrings("M = A(1:2, :)' * B'; % for")).toBe("M = A(1:2, :)' * B'; ");
    expect(stripOctaveCommentsAndStrings("v = [a' b'];")).toBe("v = [a' b'];");
    expect(stripOctaveCommentsAndStrings("v = x.'; w = {1}';")).toBe("v = x.'; w = {1}';");
    expect(stripOctaveCommentsAndStrings("n = 3'; s = 'it''s for';")).toBe("n = 3'; s = \"\";");
  });

  test('strings after blanks inside brackets, after keywords and in command syntax', () => {
    expect(stripOctaveCommentsAndStrings("c = [a 'for'];")).toBe('c = [a ""];');
    expect(stripOctaveCommentsAndStrings("switch s\n  case 'for'\n  otherwise\nend")).toBe('switch s\n  case ""\n  otherwise\nend');
    expect(stripOctaveCommentsAndStrings("disp 'while'\nhold on")).toBe('disp ""\nhold on');
    expect(stripOctaveCommentsAndStrings("fprintf('%d for\\n', k)")).toBe('fprintf("", k)');
    expect(stripOctaveCommentsAndStrings('x = "a \\" for";')).toBe('x = "";');
  });
});

describe('countOctaveOccurrences', () => {
  const source = [
    '% Simple computations: for each x',
    'x = 0:0.1:1;',
    'expo_1 = exp(-x);',
    "label = 'exp of x, for plotting';",
    'root_1 = sqrt(x);',
    'y = x\'; % transposed, no for loop',
    'for k = 1:3, endfor_count = k; end',
  ].join('\n');

  test('whole words outside comments and strings', () => {
    expect(countOctaveOccurrences(source, 'exp')).toBe(1);
    expect(countOctaveOccurrences(source, 'sqrt')).toBe(1);
    expect(countOctaveOccurrences(source, 'for')).toBe(1);
    expect(countOctaveOccurrences(source, 'while')).toBe(0);
    expect(countOctaveOccurrences(source, 'x')).toBe(4);
    expect(countOctaveOccurrences(source, '')).toBe(0);
  });

  test('names with regex characters are literal', () => {
    expect(countOctaveOccurrences('y = x.^2 + x.^3;', 'x.^2')).toBe(1);
    expect(countOctaveOccurrences('a(1) = 2;', 'a(1)')).toBe(0);
  });
});

describe('checkOctaveRange', () => {
  test('[0, 0] and an unset range mean "must not occur" (O7 copied)', () => {
    expect(checkOctaveRange('for', 0, [0, 0]).ok).toBe(true);
    expect(checkOctaveRange('for', 1, [0, 0])).toMatchObject({ ok: false, message: '`for` found 1 times, maximum allowed: 0', publicMessage: '`for` found 1 times, more than allowed' });
    expect(checkOctaveRange('for', 1, undefined).ok).toBe(false);
    expect(checkOctaveRange('for', 0, undefined).ok).toBe(true);
  });

  test('bounds are inclusive', () => {
    expect(checkOctaveRange('exp', 1, [1, 1]).ok).toBe(true);
    expect(checkOctaveRange('exp', 0, [1, 1])).toMatchObject({ ok: false, message: '`exp` found 0 times, minimum required: 1' });
    expect(checkOctaveRange('exp', 3, [1, 5]).ok).toBe(true);
    expect(checkOctaveRange('exp', 6, [1, 5]).ok).toBe(false);
  });
});
