'use strict';
// The npm package: `npm pack` holds what users need to install, build and
// use fringe, and nothing else; installing the tarball into an empty project
// with --build-from-source builds the addon from source (under each Node
// version the suite runs under, prebuilds in the tarball or not), and the
// package works from there: its examples run from the installed copy, on the
// addon just built, and a consumer's require() and import of 'fringe' run
// generators. Installing it without a compiler uses the prebuild.

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pack, consumerProject, npmEnv, nodedirEnv, root } = require('./helpers/package');
const { emulated, slower } = require('./helpers/emulation');

/** Every file under `dir` (relative to the checkout), recursively. */
function filesUnder(dir) {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)));
}

/**
 * What users need, from the checkout: the compiled library and its types,
 * the ES module entry, the addon's sources and both build files (node-gyp
 * for installs, cmake-js as the alternative), prebuilds when there are any,
 * and the documentation and examples.
 */
function userFiles() {
  const compiled = fs
    .readdirSync(path.join(root, 'lib'))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [`dist/${f.replace(/\.ts$/, '.js')}`, `dist/${f.replace(/\.ts$/, '.d.ts')}`]);
  return [
    'package.json',
    'README.md',
    'LICENSE',
    'binding.gyp',
    'CMakeLists.txt',
    ...compiled,
    ...filesUnder('esm'),
    ...filesUnder('native/include'),
    ...filesUnder('native/addon'),
    ...filesUnder('native/v8'),
    ...filesUnder('prebuilds'),
    ...filesUnder('docs'),
    ...filesUnder('examples'),
  ].sort();
}

/** The files the cmake-js part of CMakeLists.txt reads (it returns before the native suite's part). */
function cmakeJsInputs() {
  const text = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
  const start = text.indexOf('if(CMAKE_JS_VERSION)');
  const end = text.indexOf('return()', start);
  assert.ok(start >= 0 && end > start, 'CMakeLists.txt has a cmake-js branch that returns');
  const branch = text.slice(start, end);
  const included = [...branch.matchAll(/include\(([^)\s$]+)\)/g)].map((m) => m[1]);
  const directories = [...branch.matchAll(/\b(native\/[\w/]+)(?=[\s)])/g)].map((m) => m[1]).filter((p) => !included.includes(p));
  const sources = included.flatMap((file) => [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/native\/[\w/]+\.\w+/g)].map((m) => m[0]));
  return { included, directories, sources };
}

describe('npm pack', function () {
  this.timeout(slower(5 * 60 * 1000));
  let files;
  before(() => {
    files = pack().files;
  });

  it('holds exactly what users need', () => {
    assert.deepEqual(files, userFiles());
  });

  it('holds no tests, benchmarks, builds, dependencies, CI or development scripts', () => {
    // Binaries only as prebuilds/<platform>/node.abi<N>.node.
    const unwanted = files.filter(
      (f) =>
        /^(test|bench|build[^/]*|node_modules|\.ci|scripts|lib|native\/test)\//.test(f) ||
        /\.(tgz|o)$/.test(f) ||
        (/\.node$/.test(f) && !/^prebuilds\/linux-(x64|arm64)\/node\.abi\d+\.node$/.test(f)),
    );
    assert.deepEqual(unwanted, []);
  });

  it('holds every source binding.gyp compiles', () => {
    const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8'));
    for (const target of gyp.targets) {
      for (const source of target.sources) assert.ok(files.includes(source), source);
      for (const dir of target.include_dirs) assert.ok(files.some((f) => f.startsWith(`${dir}/`)), dir);
    }
  });

  it('holds every file the cmake-js build reads (the native suite\'s part of CMakeLists.txt is not reached)', () => {
    const { included, directories, sources } = cmakeJsInputs();
    assert.ok(included.length > 0 && sources.length > 0, 'reads its sources from an included file');
    for (const file of [...included, ...sources]) assert.ok(files.includes(file), file);
    for (const dir of directories) assert.ok(files.some((f) => f.startsWith(`${dir}/`)), dir);
  });

  it('leaves the install to node-gyp-build, a dependency, and `prepare` out of installs from the tarball', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.equal(manifest.scripts.install, 'node-gyp-build');
    assert.ok(manifest.dependencies['node-gyp-build'], 'node-gyp-build is a dependency');
    // An install from the registry never runs `prepare` (it needs the dev
    // dependencies): dist/ must be in the tarball.
    assert.ok(files.includes(manifest.main), manifest.main);
  });
});

describe('npm install of the packed tarball into an empty project', function () {
  this.timeout(slower(5 * 60 * 1000));
  let project;
  let installed;
  let addon;

  before(function () {
    // A build from source needs a compiler for the running node's machine;
    // under emulation that is the cross compiler, which an install does not
    // use (scripts/test.js cross-builds the addon itself).
    if (emulated) this.skip();
    const { tarball } = pack();
    project = consumerProject('fringe-install-');
    // Built from source even where a prebuild matches (CI packs prebuilds for
    // every ABI): node-gyp-build's install script builds when
    // npm_config_build_from_source is true (npm's --build-from-source).
    // About a minute; JOBS=max lets node-gyp use every core.
    execFileSync('npm', ['install', tarball, '--build-from-source', '--no-audit', '--no-fund'], {
      cwd: project,
      env: npmEnv({ ...nodedirEnv(), JOBS: 'max' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    installed = path.join(project, 'node_modules', 'fringe');
    addon = path.join(installed, 'build', 'Release', 'fringe.node');
  });

  it('builds the addon from source with --build-from-source, for the running node, prebuilds or not', () => {
    assert.ok(fs.existsSync(addon), 'build/Release/fringe.node');
    // Against the running node's headers: node-gyp copies their config,
    // with this node's ABI, into build/config.gypi.
    const config = fs.readFileSync(path.join(installed, 'build', 'config.gypi'), 'utf8');
    assert.match(config, new RegExp(`"node_module_version": ${process.versions.modules},`));
    // Its one dependency, and none of the development ones.
    const modules = fs.readdirSync(path.join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
    assert.deepEqual(modules.sort(), ['fringe', 'node-gyp-build']);
  });

  it('runs an example from the installed package directory, on the installed library and addon', () => {
    // Lists the modules the example loaded, when it exits.
    const probe = path.join(project, 'probe.js');
    fs.writeFileSync(
      probe,
      `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache).filter((f) => f !== __filename))));`,
    );
    const result = spawnSync(process.execPath, ['--require', probe, path.join(installed, 'examples', 'walk.js')], {
      cwd: project,
      env: npmEnv(),
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(result.status, 0, result.stderr);
    // walk.js walks its own package's root by default: the installed copy.
    const summary = result.stdout.trimEnd().split('\n').at(-1);
    assert.match(summary, /^\d+ files, \d+ directories, \d+ bytes in (.*)$/);
    assert.equal(summary.replace(/^.* bytes in /, ''), installed);
    const loaded = JSON.parse(/LOADED (.*)$/m.exec(result.stderr)[1]);
    assert.ok(loaded.includes(path.join(installed, 'dist', 'index.js')), loaded.join('\n'));
    // The addon built from source (node-gyp-build prefers build/Release to prebuilds/).
    assert.deepEqual(loaded.filter((f) => f.endsWith('.node')), [addon]);
    const modules = `${path.join(project, 'node_modules')}/`;
    assert.deepEqual(loaded.filter((f) => !f.startsWith(modules)), [], 'nothing from outside the project\'s node_modules');
  });

  it("lets the project require('fringe') and import it, and run generators", () => {
    fs.writeFileSync(
      path.join(project, 'consumer.js'),
      `const { Generator, suspend, run, wait } = require('fringe');
       const gen = new Generator((yielder, x) => suspend(yielder.suspend(x + 1) * 2) + 1);
       const values = [gen.resume(1), gen.resume(5), gen.resume(100), gen.state];
       run(() => wait(Promise.resolve(6)) * 7).then((waited) => {
         const addons = Object.keys(require.cache).filter((file) => file.endsWith('.node'));
         console.log(JSON.stringify({ resolved: require.resolve('fringe'), values, waited, addons }));
       });`,
    );
    fs.writeFileSync(
      path.join(project, 'consumer.mjs'),
      `import { Generator, suspend } from 'fringe';
       const gen = new Generator(() => suspend('a') + suspend('b'));
       console.log(JSON.stringify({ resolved: import.meta.resolve('fringe'), values: [gen.resume(), gen.resume('x'), gen.resume('y')] }));`,
    );
    const cjs = spawnSync(process.execPath, ['consumer.js'], { cwd: project, env: npmEnv(), encoding: 'utf8' });
    assert.equal(cjs.status, 0, cjs.stderr);
    assert.deepEqual(JSON.parse(cjs.stdout), {
      resolved: path.join(installed, 'dist', 'index.js'),
      values: [2, 10, 101, 'done'],
      waited: 42,
      addons: [addon],
    });
    const esm = spawnSync(process.execPath, ['consumer.mjs'], { cwd: project, env: npmEnv(), encoding: 'utf8' });
    assert.equal(esm.status, 0, esm.stderr);
    assert.deepEqual(JSON.parse(esm.stdout), {
      resolved: `file://${path.join(installed, 'esm', 'index.mjs')}`,
      values: ['a', 'b', 'xy'],
    });
  });
});

describe('npm install of the packed tarball on a machine without a compiler', function () {
  this.timeout(slower(5 * 60 * 1000));
  // Prebuilds exist after `npm run prebuilds` (CI makes them and sets
  // FRINGE_TEST_PREBUILDS=1); a checkout without them has nothing to test.
  const abi = process.versions.modules;

  it(`uses the prebuild for this Node ABI (${abi}), with no compiler, make or python on PATH`, function () {
    const { tarball, files } = pack();
    const prebuild = `prebuilds/${process.platform}-${process.arch}/node.abi${abi}.node`;
    if (process.env.FRINGE_TEST_PREBUILDS !== '1' && !files.includes(prebuild)) this.skip();
    assert.ok(files.includes(prebuild), `${prebuild} is in the tarball`);
    const project = consumerProject('fringe-prebuilt-');
    // A PATH with node, npm and a shell only: any attempt to build fails.
    const bin = path.join(project, '.bin-no-compiler');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    fs.symlinkSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim(), path.join(bin, 'npm'));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const env = npmEnv({ PATH: bin, CC: '/bin/false', CXX: '/bin/false' });
    delete env.npm_config_nodedir;
    execFileSync(path.join(bin, 'npm'), ['install', tarball, '--no-audit', '--no-fund'], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const installed = path.join(project, 'node_modules', 'fringe');
    assert.equal(fs.existsSync(path.join(installed, 'build')), false, 'nothing was built');
    const result = spawnSync(
      process.execPath,
      ['-e', `const f = require('fringe'); const g = new f.Generator((y, x) => y.suspend(x + 1) * 2);
              console.log(JSON.stringify([g.resume(1), g.resume(5), Object.keys(require.cache).filter((k) => k.endsWith('.node'))]));`],
      { cwd: project, env: npmEnv(), encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [2, 10, [path.join(installed, prebuild)]]);
  });
});
