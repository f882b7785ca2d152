import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupsFor, detectCgroups } from './cgroup';

test('without a cgroup v2 hierarchy or writable v1 controllers: auto runs unconfined, required refuses, off never looks', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'no-cgroups-'));
  try {
    const reason = `no writable cgroup v2 hierarchy and no writable cgroup v1 memory, pids, cpu controller under ${root}`;
    expect(detectCgroups(root)).toEqual({ unavailable: reason });
    expect(cgroupsFor('auto', root)).toBeNull();
    expect(() => cgroupsFor('required', root)).toThrow(`sandbox cgroups are required, but there are ${reason}`);
    expect(cgroupsFor('off', '/definitely/not/there')).toBeNull();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
