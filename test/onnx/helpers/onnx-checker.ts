/**
 * The `onnx` Python package's full checker (type and shape inference included) as a test
 * yardstick. Missing Python or onnx is a failure with instructions, never a silent pass.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = 'import sys, onnx; onnx.checker.check_model(sys.argv[1], full_check=True)';

export async function checkWithOnnx(path: string): Promise<void> {
  try {
    await run('python3', ['-c', SCRIPT, path], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('python3 is not installed: the onnx checker tests need it (pip install -r test/requirements.txt)');
    if (/No module named ['"]?onnx/.test(e.stderr ?? '')) {
      throw new Error('the Python package onnx is missing: pip install -r test/requirements.txt');
    }
    throw new Error(`onnx.checker rejected ${path}:\n${(e.stderr ?? e.message).trim().split('\n').slice(-6).join('\n')}`);
  }
}
