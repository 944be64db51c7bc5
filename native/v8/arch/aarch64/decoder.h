// The AArch64 instruction set of the layout derivation (instruction_set.h):
// the same walk as x86-64's (arch/x86_64/decoder.h) over A64 code, so the
// same derivation steps read V8's field offsets off an arm64 node.
//
// The integer arguments are x0..x7 (AAPCS64), the result x0; callee-saved
// x19..x28 survive calls. The walk goes from the function's first
// instruction to its first `ret` (or a length limit); `b` to anywhere is
// recorded as a call too (compilers end functions with tail calls), and on
// request every branch target is walked once. Anything the model does not
// follow makes the written register unknown, and an encoding it cannot
// classify ends the walk with an error: a pattern it does not understand
// gives "no result", never a wrong offset. The addon verifies every derived
// offset against the live isolate anyway (IsolateHooks::Bind).

#ifndef FRINGE_V8_ARCH_AARCH64_DECODER_H
#define FRINGE_V8_ARCH_AARCH64_DECODER_H

#include <cstddef>
#include <cstdint>

#include "v8/code_analysis.h"
#include "v8/instruction_set.h"

namespace fringe {
namespace aarch64 {

/// See InstructionSet::Analyze.
code::Analysis Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments, bool all_paths = false);

/// `mov w0, #imm; ret`, with or without a frame record (`stp x29, x30,
/// [sp, #-16]!; mov x29, sp` ... `ldp`), a `bti c` or a signed return
/// address (`paciasp` ... `autiasp`): a straight run of at most 8
/// instructions that touches no memory but the stack and calls nothing.
bool ConstantReturn(const CodeBytes& code, std::int64_t* value);

/// The first 8-byte load, within the first 16 instructions and before any
/// branch, whose address is the thread pointer (`mrs Xn, tpidr_el0`) plus
/// constants: `add Xn, Xn, #hi, lsl #12; add Xn, Xn, #lo; ldr x0, [Xn]`,
/// what the linker makes of an initial-exec thread_local in an executable.
bool InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset);

class InstructionSet final : public fringe::InstructionSet {
 public:
  const char* name() const override { return "aarch64"; }
  code::Analysis Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments,
                         bool all_paths) const override;
  bool ConstantReturn(const CodeBytes& code, std::int64_t* value) const override;
  bool InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset) const override;
};

}  // namespace aarch64
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_AARCH64_DECODER_H
