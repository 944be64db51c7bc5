// Runs child processes side by side, as many at a time as there are cores (at
// least two).

'use strict';
const { spawn } = require('node:child_process');
const os = require('node:os');
const { root } = require('./child');
const { slower, withoutEmulatorNoise } = require('./emulation');

/**
 * Spawns `node ...args`; resolves to { status, signal, stdout, stderr }
 * (under emulation, with the timeout scaled and qemu's own line out of
 * stderr: helpers/emulation.js).
 */
function spawnNode(args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, FRINGE_ROOT: root, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), slower(options.timeout ?? 600000));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr: withoutEmulatorNoise(stderr) });
    });
  });
}

/** Runs the jobs (functions returning promises) `width` at a time, in order. */
async function inParallel(jobs, width = Math.max(2, os.availableParallelism?.() ?? 2)) {
  const results = new Array(jobs.length);
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

module.exports = { spawnNode, inParallel };
