// The selector of the architecture seam (instruction_set.h): the one place
// that lists the instruction sets fringe can decode. An AArch64 decoder is
// a directory arch/aarch64/ and a case here (EM_AARCH64).

#include <elf.h>

#include "v8/instruction_set.h"
#include "v8/arch/x86_64/decoder.h"

namespace fringe {

const InstructionSet* InstructionSet::ForElfMachine(int e_machine) {
  static const x86_64::InstructionSet x86_64;
  switch (e_machine) {
    case EM_X86_64: return &x86_64;
    default: return nullptr;
  }
}

const InstructionSet* InstructionSet::Host() {
#if defined(__x86_64__)
  return ForElfMachine(EM_X86_64);
#else
  return nullptr;
#endif
}

}  // namespace fringe
