// ES module entry: the CommonJS build's exports under their own names.
// test/70.types.test.js checks that this list matches dist/index.js.
import fringe from '../dist/index.js';

export const {
  Generator,
  GeneratorReturn,
  Yielder,
  OsStack,
  DEFAULT_STACK_SIZE,
  MINIMUM_STACK_SIZE,
  current,
  report,
  suspend,
  supported,
  unsupportedReason,
  run,
  wait,
} = fringe;
export default fringe;
