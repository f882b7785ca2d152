import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupsFor, detectCgroups } from './cgroup';

test('without writable memory and pids controllers: auto runs unconfined, required refuses, off never looks', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'no-cgroups-'));
  try {
    expect(detectCgroups(root)).toEqual({ unavailable: `no writable cgroup v1 memory and pids controllers under ${root}` });
    expect(cgroupsFor('auto', root)).toBeNull();
    expect(() => cgroupsFor('required', root)).toThrow(/sandbox cgroups are required, but there are no writable cgroup v1 memory and pids controllers/);
    expect(cgroupsFor('off', '/definitely/not/there')).toBeNull();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
