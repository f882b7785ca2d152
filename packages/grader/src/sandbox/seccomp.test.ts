import fs from 'node:fs';
import { DENIED_SYSCALLS, seccompProgram } from './seccomp';

/** undefined: the header does not define it; null: no such header on this host. */
function headerNumbers(file: string, pattern: (name: string) => RegExp): (name: string) => number | undefined | null {
  if (!fs.existsSync(file)) return () => null;
  const text = fs.readFileSync(file, 'utf8');
  return (name) => {
    const match = pattern(name).exec(text);
    return match ? Number(match[1]) : undefined;
  };
}

// The kernel's own tables, where the host has them (linux-libc-dev): a wrong number would let the call through.
const x64 = headerNumbers('/usr/include/x86_64-linux-gnu/asm/unistd_64.h', (name) => new RegExp(`#define __NR_${name}\\s+(\\d+)`));
const arm64 = headerNumbers('/usr/include/asm-generic/unistd.h', (name) => new RegExp(`#define __NR(?:3264)?_${name}\\s+(\\d+)`));

test.each(Object.entries(DENIED_SYSCALLS))('%s has the kernel headers\' numbers', (name, numbers) => {
  const fromX64 = x64(name);
  const fromArm64 = arm64(name);
  if (fromX64 !== null) expect(numbers.x64).toBe(fromX64);
  if (fromArm64 !== null) expect(numbers.arm64).toBe(fromArm64);
});

test('the program checks the architecture first and kills a foreign one; every denied number is in it', () => {
  for (const arch of ['x64', 'arm64'] as const) {
    const program = seccompProgram(arch);
    expect(program.length % 8).toBe(0);
    const insns = Array.from({ length: program.length / 8 }, (_, i) => ({ code: program.readUInt16LE(i * 8), jt: program[i * 8 + 2], jf: program[i * 8 + 3], k: program.readUInt32LE(i * 8 + 4) }));
    expect(insns[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 });
    expect(insns[1]?.k).toBe(arch === 'x64' ? 0xc000003e : 0xc00000b7);
    // A foreign architecture jumps to the last instruction, SECCOMP_RET_KILL_PROCESS.
    expect(2 + (insns[1]?.jf ?? 0)).toBe(insns.length - 1);
    expect(insns.at(-1)).toEqual({ code: 0x06, jt: 0, jf: 0, k: 0x80000000 });
    const compared = new Set(insns.filter((i) => i.code === 0x15).map((i) => i.k));
    for (const numbers of Object.values(DENIED_SYSCALLS)) if (numbers[arch] !== undefined) expect(compared).toContain(numbers[arch]);
  }
});
