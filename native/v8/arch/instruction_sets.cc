// The selector of the architecture seam (instruction_set.h): the one place
// that lists the instruction sets fringe can decode. Another architecture
// is a directory arch/<arch>/ and a case here.

#include <elf.h>

#include "v8/instruction_set.h"
#include "v8/arch/aarch64/decoder.h"
#include "v8/arch/x86_64/decoder.h"

namespace fringe {

const InstructionSet* InstructionSet::ForElfMachine(int e_machine) {
  static const x86_64::InstructionSet x86_64;
  static const aarch64::InstructionSet aarch64;
  switch (e_machine) {
    case EM_X86_64: return &x86_64;
    case EM_AARCH64: return &aarch64;
    default: return nullptr;
  }
}

const InstructionSet* InstructionSet::Host() {
#if defined(__x86_64__)
  return ForElfMachine(EM_X86_64);
#elif defined(__aarch64__)
  return ForElfMachine(EM_AARCH64);
#else
  return nullptr;
#endif
}

}  // namespace fringe
