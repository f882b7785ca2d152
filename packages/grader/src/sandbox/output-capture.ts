/**
 * Keeps the first `keepBytes` of a stream and counts the rest. Past `drainBytes` it calls
 * `onFlood` once (the run is then killed): draining must go on until then or the writer would
 * block on a full pipe and the run would end as a misleading timeout.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  flooded = false;

  constructor(
    private readonly keepBytes: number,
    private readonly drainBytes: number,
    private readonly onFlood: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept < this.keepBytes) {
      const take = Math.min(chunk.length, this.keepBytes - this.kept);
      // A copy: the chunk may be a view of a read buffer that is reused (output-socket.ts).
      this.chunks.push(Buffer.from(chunk.subarray(0, take)));
      this.kept += take;
    }
    if (!this.flooded && this.total > this.drainBytes) {
      this.flooded = true;
      this.onFlood();
    }
  }

  get keptBytes(): number {
    return this.kept;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}

/** Why a result channel was not accepted (`missing`: nothing, or not all of it, arrived). */
export type TChannelProblem = 'rejected' | 'malformed' | 'oversized' | 'missing';

const MAX_LENGTH_DIGITS = 12;

/**
 * Reads the driver's report as it arrives: `<token> <length>\n<payload><token> end\n`. The token
 * is checked byte by byte before anything else is kept, the length before the payload is
 * buffered: a channel that starts with anything else, announces more than `maxPayloadBytes` or
 * goes on after its end marker is dropped at once (`onProblem` is called once; the run is then
 * killed), so what graded code writes here costs the worker at most `maxPayloadBytes`.
 */
export class ResultChannel {
  private readonly prefix: Buffer;
  private readonly trailer: Buffer;
  private state: 'prefix' | 'length' | 'payload' | 'trailer' | 'done' | 'failed' = 'prefix';
  private position = 0;
  private digits = '';
  private remaining = 0;
  private chunks: Buffer[] = [];
  private received = 0;
  problem: TChannelProblem | undefined;

  constructor(
    token: string,
    private readonly maxPayloadBytes: number,
    private readonly onProblem: (problem: TChannelProblem) => void,
  ) {
    this.prefix = Buffer.from(`${token} `, 'ascii');
    this.trailer = Buffer.from(`${token} end\n`, 'ascii');
  }

  private fail(problem: TChannelProblem): void {
    this.state = 'failed';
    this.problem = problem;
    this.chunks = [];
    this.onProblem(problem);
  }

  push(chunk: Buffer): void {
    this.received += chunk.length;
    let offset = 0;
    while (offset < chunk.length && this.state !== 'failed') {
      switch (this.state) {
        case 'prefix':
        case 'trailer': {
          const expected = this.state === 'prefix' ? this.prefix : this.trailer;
          while (offset < chunk.length && this.position < expected.length) {
            if (chunk[offset] !== expected[this.position]) {
              this.fail(this.state === 'prefix' ? 'rejected' : 'malformed');
              return;
            }
            offset += 1;
            this.position += 1;
          }
          if (this.position === expected.length) {
            this.state = this.state === 'prefix' ? 'length' : 'done';
            this.position = 0;
          }
          break;
        }
        case 'length': {
          const byte = chunk[offset] as number;
          offset += 1;
          if (byte === 0x0a && this.digits.length > 0) {
            this.remaining = Number(this.digits);
            if (this.remaining > this.maxPayloadBytes) {
              this.fail('oversized');
              return;
            }
            this.state = this.remaining === 0 ? 'trailer' : 'payload';
          } else if (byte >= 0x30 && byte <= 0x39 && this.digits.length < MAX_LENGTH_DIGITS) {
            this.digits += String.fromCharCode(byte);
          } else {
            this.fail('malformed');
            return;
          }
          break;
        }
        case 'payload': {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.chunks.push(chunk.subarray(offset, offset + take));
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'trailer';
          break;
        }
        case 'done':
          this.fail('malformed');
          return;
      }
    }
  }

  /** The payload once the channel is closed, or why there is none. */
  finish(): { payload: Buffer } | { problem: TChannelProblem } {
    if (this.state === 'done') return { payload: Buffer.concat(this.chunks) };
    if (this.problem) return { problem: this.problem };
    return { problem: this.received === 0 ? 'missing' : 'malformed' };
  }
}
