import {
  analyzeText,
  codePointLength,
  countCodeBlocks,
  countKeyword,
  countListItems,
  countParagraphs,
  countSentences,
  decodeDocument,
  DocumentDecodeError,
  findHeadings,
  findLinks,
  hasKeyword,
  hasSection,
  isMarkdownName,
  pyStrip,
  removeCode,
} from './metrics';

// Expected values below are what the original's DocumentAnalyzer.analyze() (computor-testing
// testers/executors/document.py at bf33448a, Python 3.11) returned for the same texts.

const MARKDOWN = [
  '# Title',
  '',
  "Intro text, with it's words and a-b hyphens. Über alles!",
  '',
  '## Code',
  '',
  '```',
  '# not a heading? counted',
  'x = 1. y = 2.',
  '```',
  '',
  'Inline `code` here.',
  '',
  '- one',
  '- two',
  '  * nested',
  '1. first',
  '2. second',
  '',
  '![Logo](logo.png) and [Logo](https://a.example) and [Docs](https://b.example).',
  '',
  '####### seven hashes',
  '#',
  'next line',
  '',
].join('\n');

const PLAIN = 'Plain text. Not markdown!\n\n# no heading here\n- nor a list\n`code` stays. 😀 done?';

describe('analyzeText (as the original computed it)', () => {
  test('a markdown document', () => {
    expect(analyzeText(MARKDOWN, true)).toEqual({
      lineCount: 25,
      charCount: 301,
      charCountNoSpaces: 241,
      wordCount: 49,
      uniqueWordCount: 38,
      avgWordLength: expect.closeTo(3.795918367346939, 12),
      paragraphCount: 8,
      sentenceCount: 11,
      avgSentenceLength: expect.closeTo(4.454545454545454, 12),
      // D4 and friends: `#` lines inside a fence count, seven hashes do not, a lone `#` takes the next line.
      headings: [
        { level: 1, text: 'Title' },
        { level: 2, text: 'Code' },
        { level: 1, text: 'not a heading? counted' },
        { level: 1, text: 'next line' },
      ],
      headingCount: 4,
      listItemCount: 5,
      // D4: [Logo](…) shares the image's alt text, so only [Docs](…) counts.
      linkCount: 1,
      imageCount: 1,
      // D4: one fenced block (``` count / 2) plus two backtick matches (the fence again, and `code`).
      codeBlockCount: 3,
    });
  });

  test('the same text as plain text: no markdown metrics, code not removed for sentences', () => {
    const metrics = analyzeText(MARKDOWN, false);
    expect(metrics).toMatchObject({ wordCount: 49, paragraphCount: 8, sentenceCount: 14, headingCount: 0, headings: [], listItemCount: 0, linkCount: 0, imageCount: 0, codeBlockCount: 0 });
    expect(metrics.avgSentenceLength).toBeCloseTo(3.5, 12);
  });

  test('a plain-text file: characters are code points (an emoji is one)', () => {
    expect(analyzeText(PLAIN, false)).toMatchObject({ lineCount: 5, charCount: 79, charCountNoSpaces: 63, wordCount: 14, uniqueWordCount: 14, paragraphCount: 2, sentenceCount: 4 });
  });

  test('blank lines with spaces separate paragraphs; leading and trailing blank lines do not count', () => {
    expect(analyzeText('  \n\n \t\n  para one\n \n\n para two \n\n\n', true)).toMatchObject({ lineCount: 10, charCount: 34, charCountNoSpaces: 14, wordCount: 4, uniqueWordCount: 3, paragraphCount: 2, sentenceCount: 1 });
  });

  test('an empty file', () => {
    expect(analyzeText('', true)).toMatchObject({ lineCount: 1, charCount: 0, wordCount: 0, paragraphCount: 0, sentenceCount: 0, avgWordLength: 0, avgSentenceLength: 0, headingCount: 0 });
  });

  test("words: Python's Unicode \\w plus apostrophe and hyphen, lower-cased", () => {
    const metrics = analyzeText("Über über it's a-b snake_case 42 Ǆx", false);
    expect(metrics.wordCount).toBe(7);
    expect(metrics.uniqueWordCount).toBe(6);
  });
});

describe('the scanners give what findall gives', () => {
  test('headings', () => {
    expect(findHeadings('#x\n# a\n##\tb  \n### \n\nc\n')).toEqual([
      { level: 1, text: 'a' },
      { level: 2, text: 'b' },
      // `\s+` runs over the blank lines; `.+` takes the next line.
      { level: 3, text: 'c' },
    ]);
    // `\s+` to the end of the text gives back its last non-newline character: an empty heading.
    expect(findHeadings('# \t \n  ')).toEqual([{ level: 1, text: '' }]);
    expect(findHeadings('# \n\n')).toEqual([]);
    expect(findHeadings('####### seven\n###### six')).toEqual([{ level: 6, text: 'six' }]);
  });

  test('list items', () => {
    expect(countListItems('- a\n- b')).toBe(2);
    expect(countListItems('-\n- b')).toBe(2);
    expect(countListItems('\n\n- a')).toBe(1);
    expect(countListItems('1. x\n2) y\n3.z\n٣. arabic-indic digit')).toBe(2);
    expect(countListItems('-x\n+ y\n* z\n')).toBe(2);
  });

  test('links and images', () => {
    expect(findLinks('[a](b) [](c) [d]( e ) [f] (g) [[h](i)', false)).toEqual([
      { text: 'a', target: 'b' },
      { text: 'd', target: ' e ' },
      { text: '[h', target: 'i' },
    ]);
    expect(findLinks('![](x) ![alt](y) ![z]()', true)).toEqual([
      { text: '', target: 'x' },
      { text: 'alt', target: 'y' },
    ]);
  });

  test('code blocks and code removal', () => {
    expect(countCodeBlocks('``````')).toBe(1);
    expect(countCodeBlocks('````')).toBe(0);
    expect(countCodeBlocks('`a`b`')).toBe(1);
    expect(countCodeBlocks('```\ncode\n```')).toBe(2);
    expect(removeCode('a ```x. y.``` b `c.` d ``` e.')).toBe('a  b  d ``` e.');
  });

  test('sentences and paragraphs', () => {
    expect(countSentences('A. B! C?')).toBe(3);
    expect(countSentences('...!?  ')).toBe(0);
    expect(countSentences('no end')).toBe(1);
    expect(countParagraphs('a\nb')).toBe(1);
    expect(countParagraphs('a\n\u00a0\nb')).toBe(2);
    expect(countParagraphs('a\n\n\n\nb\n \t \nc')).toBe(3);
    expect(countParagraphs(' \n \n ')).toBe(0);
  });
});

describe('document text', () => {
  test("decoding as Python's utf-8 text mode: universal newlines, BOM kept, strict", () => {
    expect(decodeDocument(Buffer.from('a\r\nb\rc\r\r\nd'))).toBe('a\nb\nc\n\nd');
    expect(decodeDocument(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
    expect(() => decodeDocument(Buffer.from([0x61, 0xff, 0xfe]))).toThrow(DocumentDecodeError);
    // An encoded surrogate (CESU-8) is invalid UTF-8 for Python too.
    expect(() => decodeDocument(Buffer.from([0xed, 0xa0, 0x80]))).toThrow(DocumentDecodeError);
    expect(decodeDocument(Buffer.from([0x00, 0x01, 0x61]))).toBe('\u0000\u0001a');
  });

  test('markdown by suffix, as Path.suffix', () => {
    expect(isMarkdownName('essay.md')).toBe(true);
    expect(isMarkdownName('dir/Essay.MARKDOWN')).toBe(true);
    expect(isMarkdownName('notes.mdown')).toBe(true);
    expect(isMarkdownName('essay.txt')).toBe(false);
    expect(isMarkdownName('.md')).toBe(false);
    expect(isMarkdownName('essay.md.')).toBe(false);
  });

  test('keywords: non-overlapping, case-sensitive unless asked (D3)', () => {
    expect(countKeyword('TODO todo ToDo TODOTODO', 'TODO', true)).toBe(3);
    expect(countKeyword('TODO todo ToDo TODOTODO', 'TODO', false)).toBe(5);
    expect(countKeyword('aaaa', 'aa', true)).toBe(2);
    expect(hasKeyword('Fixme later', 'FIXME', true)).toBe(false);
    expect(hasKeyword('Fixme later', 'FIXME', false)).toBe(true);
  });

  test('sections: substring of a heading, case-insensitive, level when given', () => {
    const headings = [
      { level: 1, text: 'Research Paper' },
      { level: 2, text: 'Introduction and Scope' },
    ];
    expect(hasSection(headings, 'introduction', undefined)).toBe(true);
    expect(hasSection(headings, 'Introduction', 2)).toBe(true);
    expect(hasSection(headings, 'Introduction', 1)).toBe(false);
    expect(hasSection(headings, 'Methods', undefined)).toBe(false);
  });

  test("Python's strip and len", () => {
    expect(pyStrip('\x1c\u0085 a b\u3000\n')).toBe('a b');
    // U+FEFF is not whitespace for Python.
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(codePointLength('a😀b')).toBe(3);
  });
});

describe('linear time on hostile text', () => {
  const N = 1024 * 1024;
  test.each([
    ['blank lines', '\n'.repeat(N)],
    ['brackets', '['.repeat(N - 1) + ']'],
    ['image openers', '!['.repeat(N / 2)],
    ['backticks', '`'.repeat(N)],
    ['headings of spaces', '#' + ' '.repeat(N)],
    ['list markers after blank lines', ('\n'.repeat(100) + '1').repeat(Math.floor(N / 101))],
    ['spaces before text', 'a' + ' '.repeat(N) + 'b'],
    ['unclosed links', '[x]('.repeat(N / 4)],
  ])('%s', (_name, text) => {
    const started = performance.now();
    analyzeText(text, true);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
