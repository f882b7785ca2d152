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
      this.chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
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
