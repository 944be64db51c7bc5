// v8_layout_offline <node executable>...
//
// Runs the layout derivation the addon runs at load (layout_derivation.h)
// on a node executable FILE instead of the running process: the symbols
// come from the file's .symtab/.dynsym, the code bytes from the mapped
// file, and nothing in it is executed. Prints, per file, the instruction
// set, where the symbols were found and the derived layout (FormatLayout),
// or the derivation's error; exits 1 if any file failed.
//
// What it cannot check is what only a live process can: the sizes
// v8-internal.h fixes, the offset measured by running RestoreThread, and
// every verification against a live isolate (IsolateHooks::Bind).
// test/02.v8-layout-offline.test.js runs it over Node releases and compares
// the output with its table of expected offsets; `npm run test:layouts`
// runs it over any releases.

#include <cstdio>

#include "v8/executable_file.h"
#include "v8/layout_derivation.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <node executable>...\n", argv[0]);
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    std::printf("file %s\n", argv[i]);
    fringe::ExecutableFile file(argv[i]);
    fringe::DerivedLayout layout;
    fringe::LayoutDerivation derivation(&file);
    if (!file.error().empty()) {
      std::printf("error %s\n", file.error().c_str());
      status = 1;
      continue;
    }
    const fringe::InstructionSet* isa = file.instruction_set();
    std::printf("instruction_set %s\n", isa ? isa->name() : "none");
    bool ok = derivation.Run(&layout);
    std::printf("symbol_source %s\n", derivation.symbol_source());
    std::fputs(fringe::FormatLayout(layout).c_str(), stdout);
    if (!ok) {
      std::printf("error %s\n", derivation.error().c_str());
      status = 1;
    }
  }
  return status;
}
