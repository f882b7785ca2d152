import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { TAMPERED_REPORT } from './runner';
import { gradeSubmission } from '../../grade/grade';

// Student code shares the interpreter with the driver that runs the test code. Whatever it does
// to that interpreter yields at worst a failure of the affected checks, counted like any other
// (the report completes, never infra_error), and never a pass it did not earn.

const config = { uidBase: 62200, uidCount: 4 };
let root: string;
let example: string;

// setUpCode and tearDownCode catch a wrong solve(); the checked variable itself (`ok`) is one a
// cheating hand-in sets directly, so only the test code stands between it and a full score.
const TEST_YAML = `type: python
properties:
  tests:
  - type: variable
    name: solve
    entryPoint: solution.py
    setUpCode: ["assert solve() == 1, 'solve() must return 1'", "ok = True"]
    tearDownCode: ["assert solve() == 1"]
    tests:
    - {name: ok, value: true}
    - {name: answer, value: 1}
`;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-hostile-driver-'));
  example = path.join(root, 'example');
  fs.mkdirSync(example);
  fs.writeFileSync(
    path.join(example, 'meta.yaml'),
    'identifier: hostile.driver\nproperties:\n  studentSubmissionFiles: [solution.py]\n  executionBackend:\n    slug: itpcp.exec.py\n    settings: {timeout: 8}\n',
  );
  fs.writeFileSync(path.join(example, 'test.yaml'), TEST_YAML);
  fs.writeFileSync(path.join(example, 'solution.py'), 'def solve():\n    return 1\nanswer = 1\n');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;
async function grade(solution: string, limits: Record<string, number> = {}): Promise<TGradingReport> {
  const submission = path.join(root, `submission-${++counter}`);
  fs.mkdirSync(submission);
  fs.writeFileSync(path.join(submission, 'solution.py'), solution);
  return gradeSubmission({ exampleDir: example, submissionDir: submission, limits: { wallTimeoutMs: 8000, ...limits }, config });
}

function checks(report: TGradingReport): Array<{ name: string; status: string; message: string }> {
  return report.collections.flatMap((c) => c.checks.map(({ name, status, message }) => ({ name, status, message })));
}

// Every cheat below defines `ok = True` and `answer = 1` itself, with a solve() that returns 0.
const CHEAT = 'def solve():\n    return 0\nok = True\nanswer = 1\n';

const HOSTILE: Array<[string, string, RegExp]> = [
  ['replaces builtins.exec with a no-op', `import builtins\nbuiltins.exec = lambda *a, **k: None\n${CHEAT}`, /replaced builtins\.exec|solve\(\) must return 1/],
  ['replaces builtins.compile and eval', `import builtins\nbuiltins.compile = lambda *a, **k: compile("pass", "x", "exec")\nbuiltins.eval = lambda *a, **k: True\n${CHEAT}`, /replaced builtins|solve\(\) must return 1/],
  ['rebinds __builtins__ of its namespace', `import builtins\n__builtins__ = dict(vars(builtins), AssertionError=None)\n${CHEAT}`, /__builtins__/],
  ['patches the driver\'s globals through its frame', `import sys\nsys._getframe(1).f_globals["_exec"] = lambda *a, **k: None\n${CHEAT}`, /the grader's _exec/],
  ['patches the driver\'s builtins through its frame', `import sys\nsys._getframe(1).f_builtins["len"] = lambda *a: 0\nsys._getframe(1).f_builtins["isinstance"] = lambda *a: True\n${CHEAT}`, new RegExp(TAMPERED_REPORT)],
  ['replaces sys.modules["json"]', `import sys, types\nfake = types.ModuleType("json")\nfake.dumps = lambda *a, **k: '{"status": "completed"}'\nfake.loads = lambda *a, **k: []\nsys.modules["json"] = fake\n${CHEAT}`, /solve\(\) must return 1/],
  ['replaces os.write and os.read', `import os\nos.write = lambda fd, data: len(data)\nos.read = lambda fd, n: b""\n${CHEAT}`, /solve\(\) must return 1/],
  ['raises SystemExit and KeyboardInterrupt from atexit', `import atexit\ndef boom():\n    raise SystemExit(0)\ndef stop():\n    raise KeyboardInterrupt\natexit.register(boom)\natexit.register(stop)\n${CHEAT}`, /solve\(\) must return 1/],
  ['closes fd 4 and every descriptor above 2', `import os\nos.closerange(3, 1024)\n${CHEAT}`, new RegExp(TAMPERED_REPORT)],
  ['exits before the test code runs', `${CHEAT}import os\nos._exit(0)\n`, new RegExp(TAMPERED_REPORT)],
  ['writes a malformed result to the channel', `import os\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'{"status": "completed", "values": {}}\\n')\n    except OSError:\n        pass\n${CHEAT}os._exit(0)\n`, new RegExp(TAMPERED_REPORT)],
  ['writes a huge result to the channel', `import os\nfor fd in range(200, 256):\n    try:\n        for _ in range(256):\n            os.write(fd, b"{" * 1024 * 1024)\n    except OSError:\n        pass\n${CHEAT}os._exit(0)\n`, new RegExp(TAMPERED_REPORT)],
  [
    'forges a report with every token it finds by walking gc and frames',
    [
      'import gc, os, re, sys',
      'found = set()',
      'def look(value):',
      '    if isinstance(value, (str, bytes)) and re.fullmatch(rb"[0-9a-f]{32}" if isinstance(value, bytes) else r"[0-9a-f]{32}", value):',
      '        found.add(value if isinstance(value, str) else value.decode())',
      'frame = sys._getframe()',
      'while frame:',
      '    for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):',
      '        look(value)',
      '        if isinstance(value, dict):',
      '            for inner in list(value.values()):',
      '                look(inner)',
      '    frame = frame.f_back',
      'for obj in gc.get_objects():',
      '    try:',
      '        items = list(obj.values()) if isinstance(obj, dict) else list(obj) if isinstance(obj, (list, tuple, set)) else []',
      '    except Exception:',
      '        items = []',
      '    for value in items:',
      '        look(value)',
      'print("candidates", len(found))',
      'payload = b\'{"status":"completed","exitCode":0,"phases":["entryPoint","setUpCode","tearDownCode","values"],"warnings":[],"values":{"ok":{"ok":true,"value":{"t":"bool","v":true}},"answer":{"ok":true,"value":{"t":"int","v":1}}}}\'',
      'for token in found:',
      '    data = token.encode() + b" %d\\n" % len(payload) + payload + token.encode() + b" end\\n"',
      '    for fd in range(3, 256):',
      '        try:',
      '            os.write(fd, data)',
      '        except OSError:',
      '            pass',
      'os._exit(0)',
    ].join('\n'),
    new RegExp(TAMPERED_REPORT),
  ],
];

test.each(HOSTILE)('a hand-in that %s fails its checks, counted, and never passes', async (_what, solution, message) => {
  const report = await grade(solution);
  expect(report.status).toBe('completed');
  expect(report.score).toBe(0);
  const all = checks(report);
  expect(all).toHaveLength(2);
  for (const check of all) {
    expect(['failed', 'error']).toContain(check.status);
    expect(check.message).toMatch(message);
  }
}, 60_000);

test('the honest solution passes, and after every hostile hand-in the next one is graded normally', async () => {
  const honest = await grade('def solve():\n    return 1\nanswer = 1\n');
  expect(checks(honest).map((c) => c.status)).toEqual(['passed', 'passed']);
  expect(honest.score).toBe(1);
  const wrong = await grade('def solve():\n    return 0\nanswer = 1\n');
  expect(wrong.score).toBe(0);
  expect(checks(wrong)[0]?.message).toMatch(/solve\(\) must return 1/);
});

test('a value over the value limit is output_limit for its check alone', async () => {
  const report = await grade('def solve():\n    return 1\nanswer = list(range(300_000))\n', { valueBytes: 1024 * 1024 });
  expect(report.status).toBe('completed');
  expect(checks(report).map((c) => [c.name, c.status])).toEqual([
    ['ok', 'passed'],
    ['answer', 'output_limit'],
  ]);
  expect(checks(report)[1]?.message).toMatch(/larger than the 1048576 bytes a run may report/);
});
