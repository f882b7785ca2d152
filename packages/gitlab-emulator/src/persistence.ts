import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TSerializedStore } from './store';

/** Debounced, atomic (write to a temporary file, then rename) persistence of the emulator state. */
export class StatePersistence {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly serialize: () => TSerializedStore,
    private readonly onError: (e: unknown) => void,
  ) {}

  load(): TSerializedStore | undefined {
    if (!existsSync(this.file)) return undefined;
    const data = JSON.parse(readFileSync(this.file, 'utf8')) as TSerializedStore;
    if (data.version !== 1) throw new Error(`unsupported state file version in ${this.file}`);
    return data;
  }

  schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(this.onError);
    }, this.debounceMs);
  }

  /** Writes pending changes now and waits until they are on disk. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const previous = this.writing;
    this.writing = previous.catch(() => undefined).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const body = JSON.stringify(this.serialize());
      const tmp = `${this.file}.${process.pid}.tmp`;
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(tmp, body);
      await rename(tmp, this.file);
    });
    await this.writing;
  }
}
