import assert from 'node:assert/strict';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Int8calError } from '../../../src/core/errors.js';
import { isImageFile, listImages } from '../../../datasets/images/index.js';
import { tempDir } from './fixtures.js';

let root: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir: root, cleanup } = await tempDir());
});
after(() => cleanup());

/** Creates empty files (content does not matter for listing) and returns the folder. */
async function tree(name: string, files: string[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), '');
  }
  return dir;
}

async function rejectsCode(promise: Promise<unknown>, code: string): Promise<Int8calError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Int8calError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('listImages', () => {
  it('finds images recursively, any extension case, sorted by relative path in byte order', async () => {
    const dir = await tree('sorted', [
      'b.jpg', 'B.JPEG', 'a/z.png', 'a-b.webp', 'a/b/c.TIF', 'x.tiff', 'y.gif', 'é.jpg', 'e.jpg', 'notes.txt', 'img.jpg.bak',
    ]);
    const found = (await listImages(dir)).map((f) => relative(dir, f));
    // '-' (0x2d) < '/' (0x2f) < 'B' (0x42) < 'b' (0x62) < 'é' (0xc3 0xa9)
    assert.deepEqual(found, ['B.JPEG', 'a-b.webp', 'a/b/c.TIF', 'a/z.png', 'b.jpg', 'e.jpg', 'x.tiff', 'y.gif', 'é.jpg']);
  });

  it('returns paths joined to the folder as given', async () => {
    const dir = await tree('joined', ['one.png']);
    assert.deepEqual(await listImages(dir), [join(dir, 'one.png')]);
  });

  it('ignores hidden entries such as .git and macOS ._ files', async () => {
    const dir = await tree('hidden', ['._photo.jpg', '.git/x.jpg', 'photo.jpg']);
    assert.deepEqual((await listImages(dir)).map((f) => relative(dir, f)), ['photo.jpg']);
  });

  it('follows symlinks and stops at loops, with a warning', async () => {
    const dir = await tree('links', ['real/a.jpg', 'other/b.png']);
    await symlink(join(dir, 'real'), join(dir, 'real', 'loop'));
    await symlink(join(dir, 'other'), join(dir, 'z-link'));
    await symlink(join(dir, 'other', 'b.png'), join(dir, 'c.png'));
    const warnings: string[] = [];
    const found = (await listImages(dir, { onWarning: (m) => warnings.push(m) })).map((f) => relative(dir, f));
    assert.deepEqual(found, ['c.png', 'other/b.png', 'real/a.jpg']);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings.join('\n'), /real\/loop/);
    assert.match(warnings.join('\n'), /z-link/);
  });

  it('refuses a missing folder', async () => {
    const error = await rejectsCode(listImages(join(root, 'nope')), 'IMAGE_FOLDER_MISSING');
    assert.match(error.message, /nope/);
  });

  it('refuses a file instead of a folder', async () => {
    const dir = await tree('file', ['only.jpg']);
    const error = await rejectsCode(listImages(join(dir, 'only.jpg')), 'IMAGE_FOLDER_NOT_DIRECTORY');
    assert.equal(error.subject.file, join(dir, 'only.jpg'));
  });

  it('says the folder is empty', async () => {
    const dir = await tree('empty', []);
    const error = await rejectsCode(listImages(dir), 'NO_IMAGES');
    assert.match(error.message, /the folder is empty/);
  });

  it('says what was found when nothing is an image', async () => {
    const files = [...Array.from({ length: 10 }, (_, i) => `t${i}.txt`), 'a.json', 'sub/b.json', 'README', '.DS_Store'];
    const dir = await tree('no-images', files);
    const error = await rejectsCode(listImages(dir), 'NO_IMAGES');
    assert.match(error.message, /13 files, none with an image extension \(10 \.txt, 2 \.json, 1 \(no extension\)\)/);
    assert.match(error.message, /1 subfolder searched/);
    assert.match(error.message, /1 hidden entry ignored/);
    assert.match(error.subject.hint ?? '', /\.jpg/);
  });

  it('refuses a broken symlink named like an image, ignores other broken links', async () => {
    const dir = await tree('broken', ['ok.jpg']);
    await symlink(join(dir, 'gone'), join(dir, 'notes.lnk'));
    assert.equal((await listImages(dir)).length, 1);
    await symlink(join(dir, 'gone.jpg'), join(dir, 'photo.jpg'));
    const error = await rejectsCode(listImages(dir), 'IMAGE_FOLDER_UNREADABLE');
    assert.match(error.message, /photo\.jpg: broken symbolic link/);
  });

  it('refuses an unreadable subfolder', { skip: process.getuid?.() === 0 ? 'root reads everything' : false }, async () => {
    const dir = await tree('locked', ['ok.jpg', 'locked/x.jpg']);
    await chmod(join(dir, 'locked'), 0o000);
    try {
      const error = await rejectsCode(listImages(dir), 'IMAGE_FOLDER_UNREADABLE');
      assert.match(error.message, /permission denied/);
    } finally {
      await chmod(join(dir, 'locked'), 0o755);
    }
  });

  it('knows image extensions', () => {
    assert.ok(isImageFile('a/b/C.JPG'));
    assert.ok(!isImageFile('a.jpg.txt'));
    assert.ok(!isImageFile('jpg'));
  });
});
