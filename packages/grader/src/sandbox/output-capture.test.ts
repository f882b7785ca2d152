import { ResultChannel, type TChannelProblem } from './output-capture';

const TOKEN = 'a'.repeat(32);

function feed(chunks: Array<string | Buffer>, max = 1024): { result: ReturnType<ResultChannel['finish']>; problems: TChannelProblem[] } {
  const problems: TChannelProblem[] = [];
  const channel = new ResultChannel(TOKEN, max, (p) => problems.push(p));
  for (const chunk of chunks) channel.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return { result: channel.finish(), problems };
}

const framed = (payload: string): string => `${TOKEN} ${Buffer.byteLength(payload)}\n${payload}${TOKEN} end\n`;

test('a well-framed report is accepted whole, in any chunking', () => {
  const text = framed('{"status":"completed"}');
  expect(feed([text]).result).toEqual({ payload: Buffer.from('{"status":"completed"}') });
  expect(feed(text.split('')).result).toEqual({ payload: Buffer.from('{"status":"completed"}') });
});

test('anything but the token first is rejected at the first byte, and nothing more is kept', () => {
  const { result, problems } = feed(['b', 'x'.repeat(10_000)]);
  expect(result).toEqual({ problem: 'rejected' });
  expect(problems).toEqual(['rejected']);
});

test('an announced length over the cap is refused before the payload is buffered', () => {
  expect(feed([`${TOKEN} 1025\n`, 'x'.repeat(1025)]).result).toEqual({ problem: 'oversized' });
  expect(feed([`${TOKEN} 99999999999999999\n`]).result).toEqual({ problem: 'malformed' });
});

test('a wrong trailer, data after the end marker or a cut-off report is malformed; nothing is missing', () => {
  expect(feed([`${TOKEN} 2\n{}${TOKEN} END\n`]).result).toEqual({ problem: 'malformed' });
  expect(feed([framed('{}'), 'more']).result).toEqual({ problem: 'malformed' });
  expect(feed([`${TOKEN} 10\n{}`]).result).toEqual({ problem: 'malformed' });
  expect(feed([]).result).toEqual({ problem: 'missing' });
});
