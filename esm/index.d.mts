// Types of the ES module entry (esm/index.mjs): the CommonJS build's exports
// under their own names, and the whole CommonJS module as the default export.
// Its own file so that TypeScript sees an ES module where Node loads one.
import fringe from '../dist/index.js';

export * from '../dist/index.js';
export default fringe;
