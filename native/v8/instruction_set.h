// The architecture seam of the layout derivation: what it needs from a
// machine's instruction set, as pure functions of code bytes. Each
// architecture implements it in native/v8/arch/<arch>/; ForElfMachine()
// (arch/instruction_sets.cc) is the one place that lists them, so another
// architecture is an added directory and one line there.
//
// Pure: nothing here runs or reads the process, so the same code decodes
// the running node (live) and a node executable file (offline).

#ifndef FRINGE_V8_INSTRUCTION_SET_H
#define FRINGE_V8_INSTRUCTION_SET_H

#include <cstddef>
#include <cstdint>

#include "v8/code_analysis.h"

namespace fringe {

/// A function's machine code, as the derivation reads it.
struct CodeBytes {
  const std::uint8_t* bytes = nullptr;
  std::size_t size = 0;        // how many bytes at `bytes` may be read
  std::uintptr_t address = 0;  // where the code is (live) or is linked (file): call targets use it
};

class InstructionSet {
 public:
  virtual ~InstructionSet() = default;
  virtual const char* name() const = 0;

  /// Walks the function (at most `max_bytes`) and records calls and memory
  /// accesses with symbolic operands (code_analysis.h). `arguments` says how
  /// many integer argument registers hold arguments. With `all_paths`, the
  /// targets of branches inside the limit are walked too (each once).
  virtual code::Analysis Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments,
                                 bool all_paths = false) const = 0;

  /// A function that returns a constant (`static int ArchiveSpacePerThread()
  /// { return sizeof(...); }`): the constant, or false if the code is not
  /// exactly that.
  virtual bool ConstantReturn(const CodeBytes& code, std::int64_t* value) const = 0;

  /// A function whose first instruction loads a thread-local variable of the
  /// executable (initial-exec TLS): its offset from the thread pointer, or
  /// false.
  virtual bool InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset) const = 0;

  /// The instruction set of the machine an ELF file says (e_machine), or
  /// null when fringe has no decoder for it.
  static const InstructionSet* ForElfMachine(int e_machine);
  /// The one this process runs, or null.
  static const InstructionSet* Host();
};

}  // namespace fringe

#endif  // FRINGE_V8_INSTRUCTION_SET_H
