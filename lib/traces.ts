// Stack traces across resumes (docs/API.md, "Debugging").
//
// V8 walks only the running stack, and a body's stack ends at fiberMain,
// the loop every fiber runs: the code that resumed the body waits on
// another stack, which V8 does not see. So fringe splices the resumer's
// frames in, as text, at the fiberMain frame:
//
//   * an error that leaves a body through a resume (extendAcrossResume, from
//     the addon's Resume through lib's crossed() hook, on the resumer's side;
//     run()'s promise gets the error from there too): its stack's fiberMain line becomes the line
//     RESUMED, followed by the frames of the code that resumed the body,
//     captured then. Nothing is captured on the path where nothing throws.
//     If the resumer is itself a body, its frames end at its own fiberMain,
//     and the next crossing extends the stack again: each hop once.
//   * with long stack traces on (Generator.longStackTraces), every resume
//     records where it was made (captureLink: a stack captured on the
//     resumer's side, formatted only if it is read, plus the link of the
//     generator that resumed), and Error.prepareStackTrace appends the
//     chain to any stack that ends at fiberMain when it is formatted.
//
// A stack that does not end at fiberMain (an error made outside any body,
// one already extended, one cut short by Error.stackTraceLimit) is left as
// it is. Frames count against Error.stackTraceLimit all together, as V8's
// own async frames do; RESUMED lines do not count.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNativeError } from 'node:util/types';
import { findSourceMap } from 'node:module';

/** The line between a body's frames and its resumer's. */
export const RESUMED = '    at <resumed> (fringe)';

// fringe's own files (dist/, and lib/ where a source map points there).
const root = path.dirname(__dirname);
const ownDirs = [path.join(root, 'dist') + path.sep, path.join(root, 'lib') + path.sep];
// Frames of fringe's between the code that resumed and the capture (the
// capture itself, Generator's resume path, run()'s driver): captured on top
// of the resumer's own, then dropped.
const OWN_FRAMES = 10;

const FRAME = /^ {4}at /;
function isFrame(line: string): boolean {
  return FRAME.test(line) && line !== RESUMED;
}
function isOwnFile(file: string | null | undefined): boolean {
  return typeof file === 'string' && ownDirs.some((dir) => file.startsWith(dir));
}
function isOwnFrame(line: string): boolean {
  return FRAME.test(line) && ownDirs.some((dir) => line.includes(dir));
}
/** The bottom frame of every body: fiberMain, in fringe's own file. */
function isFiberBottom(line: string | undefined): boolean {
  return line !== undefined && isOwnFrame(line) && /^ {4}at (?:\S+\.)?fiberMain /.test(line);
}

/**
 * Drops fringe's frames right above a body's fiberMain (run()'s wrapper
 * around fn): they say nothing the RESUMED line does not.
 */
function dropOwnAboveBottom(lines: string[]): void {
  while (lines.length >= 2 && isOwnFrame(lines[lines.length - 2]) && !isFiberBottom(lines[lines.length - 2])) {
    lines.splice(lines.length - 2, 1);
  }
}

/** Error.stackTraceLimit as V8 reads it: frames at most (none when it is not a number). */
export function stackTraceLimit(): number {
  const limit = Error.stackTraceLimit;
  return typeof limit === 'number' && limit > 0 ? limit : 0;
}

/**
 * The frame lines of a captured resumer stack, without its header and
 * without fringe's own frames (but with the fiberMain frame at its bottom,
 * if it was captured on a fiber: the mark that the chain goes on).
 */
function hopFrames(stack: unknown): string[] {
  if (typeof stack !== 'string') return [];
  const out: string[] = [];
  let afterOwn = false;
  // Stacks read while another is being formatted (long traces read theirs
  // inside Error.prepareStackTrace) are formatted by V8 itself, without
  // Node's source maps: map them here.
  const mapped = sourceMapsEnabled();
  for (const line of stack.split('\n')) {
    if (!FRAME.test(line)) continue; // the header
    const own = isOwnFrame(line);
    // run()'s driver resumes inside AsyncResource#runInAsyncScope: fringe's
    // plumbing too, where fringe called it.
    const plumbing = own || (afterOwn && ASYNC_SCOPE.test(line));
    afterOwn = own;
    if (plumbing && !isFiberBottom(line)) continue;
    out.push(mapped ? mapLine(line) : line);
  }
  return out;
}
const ASYNC_SCOPE = /^ {4}at AsyncResource\.runInAsyncScope \(node:async_hooks:/;

function sourceMapsEnabled(): boolean {
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

/**
 * The original position of a generated one, by the source map Node has for
 * `script` (node:module findSourceMap), or undefined.
 */
function mapPosition(script: string, line: number, column: number): [string, number, number] | undefined {
  try {
    const entry = findSourceMap(script)?.findEntry(line - 1, column - 1) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number }
      | undefined;
    if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) {
      return undefined;
    }
    const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : entry.originalSource;
    return [source, entry.originalLine + 1, entry.originalColumn + 1];
  } catch {
    return undefined; // no usable map: the generated position stands
  }
}

const LOCATED = /^( {4}at (?:.* \()?)(.+):(\d+):(\d+)(\)?)$/;
/** A frame line with its position mapped, if a source map has it. */
function mapLine(line: string): string {
  const match = LOCATED.exec(line);
  if (match === null || match[2].startsWith('node:')) return line;
  const original = mapPosition(match[2], Number(match[3]), Number(match[4]));
  return original === undefined ? line : `${match[1]}${original[0]}:${original[1]}:${original[2]}${match[5]}`;
}

/** A stack of the running code, captured now, formatted when read. */
function captureHere(): { stack?: unknown } {
  const holder: { stack?: unknown } = {};
  const saved = Error.stackTraceLimit;
  let raised = false;
  try {
    Error.stackTraceLimit = stackTraceLimit() + OWN_FRAMES;
    raised = true;
  } catch {
    // A frozen Error constructor: capture with the limit there is.
  }
  try {
    Error.captureStackTrace(holder);
  } finally {
    if (raised) Error.stackTraceLimit = saved;
  }
  return holder;
}

/**
 * One resume seen by long stack traces: where it was made (formatted when
 * read), and the link of the generator that made it, if a body did.
 */
export interface ResumeLink {
  readonly trace: { stack?: unknown };
  readonly parent: ResumeLink | undefined;
}

/** For a resume about to be made, with long stack traces on. */
export function captureLink(parent: ResumeLink | undefined): ResumeLink {
  return { trace: captureHere(), parent };
}

// The link a stack that ends at fiberMain continues with: the crossing
// generator's while extendAcrossResume reads an error's stack, else the
// running generator's (set by generator.ts).
let crossingLink: ResumeLink | undefined;
let runningLink: () => ResumeLink | undefined = () => undefined;
export function setRunningLink(find: () => ResumeLink | undefined): void {
  runningLink = find;
}

/**
 * Called with whatever left a body through a resume, on the resumer's side,
 * before it is rethrown there. Never throws, and leaves alone anything that
 * is not an Error whose stack ends at a body's bottom, and frozen errors.
 */
export function extendAcrossResume(error: unknown, link: ResumeLink | undefined): void {
  if (!isNativeError(error) || Object.isFrozen(error)) return;
  try {
    let stack: unknown;
    crossingLink = link;
    try {
      stack = error.stack; // formatted now if it never was (source maps apply)
    } finally {
      crossingLink = undefined;
    }
    if (typeof stack !== 'string') return;
    const lines = stack.split('\n');
    if (!isFiberBottom(lines[lines.length - 1])) return;
    dropOwnAboveBottom(lines);
    const room = stackTraceLimit() - (lines.filter(isFrame).length - 1);
    lines[lines.length - 1] = RESUMED;
    if (room > 0) lines.push(...hopFrames(captureHere().stack).slice(0, room));
    error.stack = lines.join('\n');
  } catch {
    // A stack that cannot be read or written (a getter that throws, a
    // non-writable property): the error goes on as it was.
  }
}

/** `stack` (ending at a fiberMain frame) continued with the chain of `link`. */
function appendChain(stack: string, link: ResumeLink): string {
  const lines = stack.split('\n');
  if (!isFiberBottom(lines[lines.length - 1])) return stack;
  dropOwnAboveBottom(lines);
  let room = stackTraceLimit() - (lines.filter(isFrame).length - 1);
  lines.pop();
  for (let hop: ResumeLink | undefined = link; hop !== undefined; hop = hop.parent) {
    lines.push(RESUMED);
    const frames = hopFrames(hop.trace.stack);
    // The resumer's own fiberMain goes only where its chain goes on.
    if (hop.parent !== undefined && isFiberBottom(frames[frames.length - 1])) frames.pop();
    const shown = frames.slice(0, Math.max(room, 0));
    lines.push(...shown);
    room -= shown.length;
    if (room <= 0) break;
  }
  return lines.join('\n');
}

type PrepareStackTrace = (error: Error, callsites: NodeJS.CallSite[]) => unknown;
let previous: PrepareStackTrace | undefined;

// Error.prepareStackTrace while long stack traces are on: what was there
// before (Node's own formatter, with source maps when they are enabled),
// then the resumer chain for a stack that ends at fiberMain. The chain's
// stacks are read here, inside a formatting, so V8 formats them itself
// (it does not call prepareStackTrace again); hopFrames maps them.
function formatLong(this: unknown, error: Error, callsites: NodeJS.CallSite[]): unknown {
  const text = previous !== undefined ? previous.call(this, error, callsites) : plainFormat(error, callsites);
  if (typeof text !== 'string' || callsites.length === 0) return text;
  const last = callsites[callsites.length - 1];
  if (last.getFunctionName() !== 'fiberMain' || !isOwnFile(last.getFileName())) return text;
  const link = crossingLink ?? runningLink();
  return link === undefined ? text : appendChain(text, link);
}

function plainFormat(error: Error, callsites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = 'Error';
  }
  return header + callsites.map((site) => `\n    at ${site}`).join('');
}

/** Installs or removes formatLong; true when it is installed. */
export function setLongTraces(on: boolean): void {
  if (on) {
    if (Error.prepareStackTrace === formatLong) return;
    previous = Error.prepareStackTrace as PrepareStackTrace | undefined;
    Error.prepareStackTrace = formatLong as typeof Error.prepareStackTrace;
  } else if (Error.prepareStackTrace === formatLong) {
    Error.prepareStackTrace = previous as typeof Error.prepareStackTrace;
    previous = undefined;
  }
}

/**
 * A suspended body's frames as the addon captured them ([function, script,
 * line, column, isConstructor, ...], innermost first), in the format of an
 * Error's stack without its header, fiberMain left out. Mapped through
 * source maps when Node has them enabled.
 */
export function formatFrames(frames: readonly unknown[], limit: number): string {
  const mapped = sourceMapsEnabled();
  const lines: string[] = [];
  for (let i = 0; i + 4 < frames.length && lines.length < limit; i += 5) {
    const name = frames[i] as string;
    let script = frames[i + 1] as string;
    let line = frames[i + 2] as number;
    let column = frames[i + 3] as number;
    // fiberMain and run()'s wrapper around fn, at the bottom.
    if (isOwnFile(script) && frames.slice(i + 5).every((value, j) => j % 5 !== 1 || isOwnFile(value as string))) break;
    if (mapped && script !== '' && line > 0) {
      const original = mapPosition(script, line, column);
      if (original !== undefined) [script, line, column] = original;
    }
    const where = script === '' ? '<anonymous>' : line > 0 ? `${script}:${line}:${column}` : script;
    const callee = (frames[i + 4] === true ? 'new ' : '') + name;
    lines.push(name === '' ? `    at ${where}` : `    at ${callee} (${where})`);
  }
  return lines.join('\n');
}
