import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs Python with the `onnx` package (the yardstick our ONNX output is checked against).
 * A missing python3/onnx fails the test with the install command: CI installs it.
 */
export async function python(script: string, args: string[] = []): Promise<string> {
  try {
    return (await run('python3', ['-c', script, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    if (/No module named 'onnx'|ENOENT/.test(stderr + String(error))) {
      throw new Error('python3 with the onnx package is needed: python3 -m pip install -r test/requirements.txt');
    }
    throw new Error(`python failed: ${stderr || String(error)}`);
  }
}

/** onnx.checker with full_check (shape inference too) on a model file; rejects with its message. */
export async function checkModel(path: string): Promise<void> {
  await python('import sys, onnx; onnx.checker.check_model(sys.argv[1], full_check=True)', [path]);
}
