// The x86-64 instruction set of the layout derivation (instruction_set.h):
// a small decoder that follows pointer arithmetic through one function.
// V8's field offsets are not part of any API and move between patch
// releases, but V8's own code loads them: decoding a few tiny, stable
// functions (ThreadState::Next, ThreadManager::EagerlyArchiveThread,
// Locker::IsLocked, ...) tells where each field is in the binary.
//
// Values are tracked symbolically (code_analysis.h); the integer arguments
// are %rdi, %rsi, %rdx, %rcx, %r8, %r9 (System V), the result %rax. The
// analysis is a straight walk from the function's first instruction to its
// first `ret` (or a length limit): enough for the small functions it is
// used on. On request it also walks every branch target once, with the
// registers as they were at the branch, for code that a compiler moved out
// of line (a cold path after the first `ret`). Anything it does not model
// makes the written register unknown, so a pattern it does not understand
// gives "no result", never a wrong offset. The addon verifies every derived
// offset against the live isolate anyway (IsolateHooks::Bind).

#ifndef FRINGE_V8_ARCH_X86_64_DECODER_H
#define FRINGE_V8_ARCH_X86_64_DECODER_H

#include <cstddef>
#include <cstdint>

#include "v8/code_analysis.h"
#include "v8/instruction_set.h"

namespace fringe {
namespace x86_64 {

/// See InstructionSet::Analyze. A `ret` ends a walk; a `jmp rel32` is
/// recorded as a call too (compilers end functions with tail calls).
code::Analysis Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments, bool all_paths = false);

/// `mov $imm32,%eax; ret`, with or without a frame-pointer prologue.
bool ConstantReturn(const CodeBytes& code, std::int64_t* value);

/// `mov %fs:disp32,%rax` as the first instruction.
bool InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset);

class InstructionSet final : public fringe::InstructionSet {
 public:
  const char* name() const override { return "x86-64"; }
  code::Analysis Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments,
                         bool all_paths) const override;
  bool ConstantReturn(const CodeBytes& code, std::int64_t* value) const override;
  bool InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset) const override;
};

}  // namespace x86_64
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_X86_64_DECODER_H
