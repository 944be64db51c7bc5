'use strict';
// A recursive directory walker written as plain synchronous code over
// fs.promises: every wait() suspends the walk, at whatever depth it is, until
// the file system answers, while the event loop stays free.
//
//   node examples/walk.js [directory]      (default: the package's root)
//
// Prints each directory's total size in bytes after its contents, like
// `du -b`, then a summary. Symbolic links are listed, not followed.

const fs = require('node:fs');
const path = require('node:path');
const { run, wait } = require('..');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));

function walk(dir, totals) {
  let bytes = 0;
  const entries = wait(fs.promises.readdir(dir, { withFileTypes: true }));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      bytes += walk(full, totals);
    } else {
      bytes += sizeOf(full);
      totals.files++;
    }
  }
  totals.directories++;
  console.log(`${String(bytes).padStart(12)}  ${path.relative(root, dir) || '.'}`);
  return bytes;
}

function sizeOf(file) {
  return wait(fs.promises.lstat(file)).size;
}

run(() => {
  const totals = { files: 0, directories: 0 };
  const bytes = walk(root, totals);
  console.log(`${totals.files} files, ${totals.directories} directories, ${bytes} bytes in ${root}`);
}).catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
