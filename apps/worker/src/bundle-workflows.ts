import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Path of the prebuilt workflow bundle shipped with the worker (no webpack at start). */
export const WORKFLOW_BUNDLE_PATH = path.join(__dirname, 'workflow-bundle.js');

async function main() {
  const start = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('@computor/workflows'), logger: quietLogger });
  await writeFile(WORKFLOW_BUNDLE_PATH, code);
  process.stdout.write(`workflow bundle: ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)} (${Math.round(code.length / 1024)} KiB, ${Date.now() - start} ms)\n`);
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`workflow bundle failed: ${(error as Error).stack}\n`);
    process.exit(1);
  });
}
