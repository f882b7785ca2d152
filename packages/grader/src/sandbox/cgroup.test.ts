import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupsFor, detectCgroups } from './cgroup';

test('without a cgroup v2 hierarchy or writable v1 controllers: auto runs unconfined, required refuses, off never looks', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'no-cgroups-'));
  try {
    const reason = `no writable cgroup v2 hierarchy and no writable cgroup v1 memory, pids controller under ${root}`;
    expect(detectCgroups(root)).toEqual({ unavailable: reason });
    expect(cgroupsFor('auto', root)).toBeNull();
    expect(() => cgroupsFor('required', root)).toThrow(`sandbox cgroups are required, but there are ${reason}`);
    expect(cgroupsFor('off', '/definitely/not/there')).toBeNull();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

// The project's machines are hybrid: controllers in v1, an empty cgroup2 hierarchy at unified/.
const unified = '/sys/fs/cgroup/unified';
const onHybrid = fs.existsSync(path.join(unified, 'cgroup.controllers')) ? test : test.skip;

onHybrid('a cgroup2 hierarchy without the memory, pids and cpu controllers is detected as v2 and refused with the reason', () => {
  const found = detectCgroups(unified);
  expect(found).toEqual({ unavailable: expect.stringMatching(/^cgroup v2 \/sys\/fs\/cgroup\/unified.* does not offer the memory, pids, cpu controller \(delegate them to the worker's cgroup\)$/) });
});
