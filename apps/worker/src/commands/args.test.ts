import { flag, parseArgs, requiredFlag, UsageError } from './args';

describe('parseArgs', () => {
  it('reads repeatable flags, = values, booleans and positionals', () => {
    const args = parseArgs(['a', '--queue', 'x', '--queue=y', '--json', 'b'], new Set(['json']));
    expect(args.positional).toEqual(['a', 'b']);
    expect(args.flags.get('queue')).toEqual(['x', 'y']);
    expect(flag(args, 'json')).toBe('true');
  });

  it('reports a missing value and a missing required flag', () => {
    expect(() => parseArgs(['--user'])).toThrow(UsageError);
    expect(() => requiredFlag(parseArgs([]), 'user')).toThrow('--user is required');
  });
});
