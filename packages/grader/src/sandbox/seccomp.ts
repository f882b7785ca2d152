import os from 'node:os';

// A seccomp filter for graded code, as the classic BPF program bubblewrap loads from `--seccomp FD`
// just before it execs the run's first process (so prlimit, setpriv and everything graded runs
// under it). It denies what a sandboxed program has no business doing and what widens the kernel
// surface: namespaces (`unshare -U -r` would otherwise make it root of a user namespace), mounts,
// ptrace, keyrings, bpf, perf, io_uring, module and kexec loading, clock and swap changes. Denied
// calls fail with EPERM; clone3 fails with ENOSYS (its flags sit behind a pointer the filter cannot
// read; libc falls back to clone, whose flags are checked). A foreign ABI (i386 on x86_64, x32) is
// killed: its syscall numbers differ and would slip past the list.

export type TSeccompArch = 'x64' | 'arm64';

const AUDIT_ARCH: Record<TSeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };
const X32_SYSCALL_BIT = 0x40000000;

/** Denied syscalls and their numbers on x86_64 and aarch64 (asm/unistd_64.h, asm-generic/unistd.h). */
export const DENIED_SYSCALLS: Record<string, Partial<Record<TSeccompArch, number>>> = {
  ptrace: { x64: 101, arm64: 117 },
  process_vm_readv: { x64: 310, arm64: 270 },
  process_vm_writev: { x64: 311, arm64: 271 },
  pidfd_getfd: { x64: 438, arm64: 438 },
  kcmp: { x64: 312, arm64: 272 },
  mount: { x64: 165, arm64: 40 },
  umount2: { x64: 166, arm64: 39 },
  pivot_root: { x64: 155, arm64: 41 },
  chroot: { x64: 161, arm64: 51 },
  open_tree: { x64: 428, arm64: 428 },
  move_mount: { x64: 429, arm64: 429 },
  fsopen: { x64: 430, arm64: 430 },
  fsconfig: { x64: 431, arm64: 431 },
  fsmount: { x64: 432, arm64: 432 },
  fspick: { x64: 433, arm64: 433 },
  mount_setattr: { x64: 442, arm64: 442 },
  unshare: { x64: 272, arm64: 97 },
  setns: { x64: 308, arm64: 268 },
  keyctl: { x64: 250, arm64: 219 },
  add_key: { x64: 248, arm64: 217 },
  request_key: { x64: 249, arm64: 218 },
  bpf: { x64: 321, arm64: 280 },
  perf_event_open: { x64: 298, arm64: 241 },
  userfaultfd: { x64: 323, arm64: 282 },
  fanotify_init: { x64: 300, arm64: 262 },
  io_uring_setup: { x64: 425, arm64: 425 },
  io_uring_enter: { x64: 426, arm64: 426 },
  io_uring_register: { x64: 427, arm64: 427 },
  kexec_load: { x64: 246, arm64: 104 },
  kexec_file_load: { x64: 320, arm64: 294 },
  init_module: { x64: 175, arm64: 105 },
  finit_module: { x64: 313, arm64: 273 },
  delete_module: { x64: 176, arm64: 106 },
  create_module: { x64: 174 },
  get_kernel_syms: { x64: 177 },
  query_module: { x64: 178 },
  reboot: { x64: 169, arm64: 142 },
  swapon: { x64: 167, arm64: 224 },
  swapoff: { x64: 168, arm64: 225 },
  acct: { x64: 163, arm64: 89 },
  settimeofday: { x64: 164, arm64: 170 },
  clock_settime: { x64: 227, arm64: 112 },
  clock_adjtime: { x64: 305, arm64: 266 },
  adjtimex: { x64: 159, arm64: 171 },
  sethostname: { x64: 170, arm64: 161 },
  setdomainname: { x64: 171, arm64: 162 },
  open_by_handle_at: { x64: 304, arm64: 265 },
  name_to_handle_at: { x64: 303, arm64: 264 },
  quotactl: { x64: 179, arm64: 60 },
  quotactl_fd: { x64: 443, arm64: 443 },
  lookup_dcookie: { x64: 212, arm64: 18 },
  syslog: { x64: 103, arm64: 116 },
  vhangup: { x64: 153, arm64: 58 },
  nfsservctl: { x64: 180, arm64: 42 },
  iopl: { x64: 172 },
  ioperm: { x64: 173 },
  uselib: { x64: 134 },
  _sysctl: { x64: 156 },
  sysfs: { x64: 139 },
  ustat: { x64: 136 },
};

const CLONE = { x64: 56, arm64: 220 };
const CLONE3 = { x64: 435, arm64: 435 };
// CLONE_NEWTIME | NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
const CLONE_NEW_NAMESPACES = 0x80 | 0x20000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

const EPERM = 1;
const ENOSYS = 38;
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;

// Classic BPF opcodes.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

// struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low 32 bits on little-endian hosts).
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

type TInsn = { code: number; k: number; jt?: string; jf?: string; label?: string };

/** The filter for `arch` as bytes of `struct sock_filter[]`, ready for `bwrap --seccomp FD`. */
export function seccompProgram(arch: TSeccompArch = hostSeccompArch()): Buffer {
  if (os.endianness() !== 'LE') throw new Error('seccomp program: only little-endian hosts are supported');
  const insns: TInsn[] = [
    { code: LD_W_ABS, k: OFFSET_ARCH },
    { code: JEQ_K, k: AUDIT_ARCH[arch], jf: 'kill' },
    { code: LD_W_ABS, k: OFFSET_NR },
  ];
  if (arch === 'x64') insns.push({ code: JGE_K, k: X32_SYSCALL_BIT, jt: 'kill' });
  const denied = [...new Set(Object.values(DENIED_SYSCALLS).flatMap((numbers) => (numbers[arch] === undefined ? [] : [numbers[arch]])))].sort((a, b) => a - b);
  for (const nr of denied) insns.push({ code: JEQ_K, k: nr, jt: 'eperm' });
  insns.push({ code: JEQ_K, k: CLONE3[arch], jt: 'enosys' });
  insns.push({ code: JEQ_K, k: CLONE[arch], jt: 'clone' });
  insns.push({ code: RET_K, k: RET_ALLOW });
  insns.push({ code: LD_W_ABS, k: OFFSET_ARG0_LOW, label: 'clone' });
  insns.push({ code: JSET_K, k: CLONE_NEW_NAMESPACES, jt: 'eperm' });
  insns.push({ code: RET_K, k: RET_ALLOW });
  insns.push({ code: RET_K, k: RET_ERRNO | EPERM, label: 'eperm' });
  insns.push({ code: RET_K, k: RET_ERRNO | ENOSYS, label: 'enosys' });
  insns.push({ code: RET_K, k: RET_KILL_PROCESS, label: 'kill' });

  const labels = new Map<string, number>();
  insns.forEach((insn, index) => insn.label && labels.set(insn.label, index));
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, index) => {
    const jump = (label: string | undefined): number => {
      if (label === undefined) return 0;
      const offset = (labels.get(label) as number) - index - 1;
      if (offset < 0 || offset > 255) throw new Error(`seccomp program: jump to ${label} out of range`);
      return offset;
    };
    out.writeUInt16LE(insn.code, index * 8);
    out.writeUInt8(jump(insn.jt), index * 8 + 2);
    out.writeUInt8(jump(insn.jf), index * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, index * 8 + 4);
  });
  return out;
}

/** The seccomp architecture of this host; other architectures cannot run the sandbox. */
export function hostSeccompArch(): TSeccompArch {
  if (process.arch === 'x64' || process.arch === 'arm64') return process.arch;
  throw new Error(`no seccomp filter for ${process.arch}: the sandbox supports x86_64 and aarch64`);
}
