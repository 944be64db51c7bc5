// See decoder.h. The walk: decode one instruction (instruction.h), apply
// it to the register model (register_model.h), follow control flow, and
// take up the branch targets left (arch/branch_worklist.h).

#include "v8/arch/aarch64/decoder.h"

#include <cstdio>

#include "v8/arch/aarch64/instruction.h"
#include "v8/arch/aarch64/register_model.h"
#include "v8/arch/branch_worklist.h"

namespace fringe {
namespace aarch64 {

namespace {
constexpr std::size_t kInstruction = 4;
constexpr int kX0 = 0, kX1 = 1;
}  // namespace

code::Analysis Analyze(const CodeBytes& function, std::size_t max_bytes, int arguments, bool all_paths) {
  code::Analysis out;
  if (max_bytes > function.size) max_bytes = function.size;
  RegisterModel regs(arguments);
  BranchWorklist<RegisterModel> worklist(max_bytes, all_paths);
  std::size_t pos = 0;
  for (;;) {
    // The end of one path: the bytes ran out, or control left it.
    if (pos + kInstruction > max_bytes) {
      if (worklist.Next(&pos, &regs)) continue;
      break;
    }
    const Instruction insn = DecodeInstruction(InstructionWord(function.bytes, pos), function.address + pos);
    const std::int64_t target = static_cast<std::int64_t>(pos) + insn.target;
    if (insn.flow == Flow::kCall || insn.flow == Flow::kTailJump || insn.flow == Flow::kIndirectCall) {
      // With the argument registers as they are at the call.
      const std::uintptr_t address = insn.flow == Flow::kIndirectCall ? 0 : function.address + target;
      out.calls.push_back(code::Call{address, regs[kX0], regs[kX1]});
    }
    if (insn.flow != Flow::kUnsupported) regs.Apply(insn, &out);
    pos += kInstruction;
    switch (insn.flow) {
      case Flow::kNext:
      case Flow::kCall:
      case Flow::kIndirectCall:
        continue;
      case Flow::kBranch:  // follow the fall-through; the target is left for later
        worklist.Add(target, regs);
        continue;
      case Flow::kReturn:
        if (!out.reached_return) {
          out.reached_return = true;
          out.return_value = regs[kX0];
        }
        if (worklist.Next(&pos, &regs)) continue;
        return out;
      case Flow::kTailJump:
      case Flow::kIndirectJump:
        if (insn.flow == Flow::kTailJump) worklist.Add(target, regs);
        if (worklist.Next(&pos, &regs)) continue;
        if (out.reached_return) return out;
        out.error = insn.flow == Flow::kIndirectJump ? "indirect jump" : "jump";
        return out;
      case Flow::kTrap:
        if (worklist.Next(&pos, &regs)) continue;
        out.error = "brk";
        return out;
      case Flow::kStop:
        if (worklist.Next(&pos, &regs)) continue;
        break;
      case Flow::kUnsupported: {
        char buf[48];
        std::snprintf(buf, sizeof buf, "unsupported instruction 0x%08x", insn.word);
        out.error = buf;
        return out;
      }
    }
    break;
  }
  if (out.error.empty() && !out.reached_return) out.error = "no return within the byte limit";
  return out;
}

bool ConstantReturn(const CodeBytes& function, std::int64_t* value) {
  // Any instruction is allowed that leaves no trace but in registers and
  // on the stack (frame records, bti, pac hints), so the check is of what
  // the code does, not of its spelling.
  RegisterModel regs(0);
  code::Analysis scratch;
  for (std::size_t pos = 0; pos + kInstruction <= function.size && pos < 8 * kInstruction; pos += kInstruction) {
    const Instruction insn = DecodeInstruction(InstructionWord(function.bytes, pos), function.address + pos);
    if (insn.flow == Flow::kReturn) {
      std::int64_t x0;
      if (!regs.Constant(kX0, &x0)) return false;
      *value = static_cast<std::int32_t>(x0);  // an int
      return true;
    }
    if (insn.flow != Flow::kNext || insn.clobbers_caller_saved) return false;
    for (int i = 0; i < insn.access_count; i++) {
      if (insn.accesses[i].base != kSp) return false;
    }
    regs.Apply(insn, &scratch);
  }
  return false;
}

bool InitialExecTlsLoad(const CodeBytes& function, std::int64_t* offset) {
  RegisterModel regs(0);
  code::Analysis seen;
  for (std::size_t pos = 0; pos + kInstruction <= function.size && pos < 16 * kInstruction; pos += kInstruction) {
    const Instruction insn = DecodeInstruction(InstructionWord(function.bytes, pos), function.address + pos);
    if (insn.flow != Flow::kNext && insn.flow != Flow::kCall) return false;
    regs.Apply(insn, &seen);
    for (const auto& access : seen.accesses) {
      if (!access.store && access.size == 8 && access.base.argument == kThreadPointer && access.base.steps == 0) {
        *offset = access.displacement;
        return true;
      }
    }
    seen.accesses.clear();
  }
  return false;
}

code::Analysis InstructionSet::Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments,
                                       bool all_paths) const {
  return aarch64::Analyze(code, max_bytes, arguments, all_paths);
}

bool InstructionSet::ConstantReturn(const CodeBytes& code, std::int64_t* value) const {
  return aarch64::ConstantReturn(code, value);
}

bool InstructionSet::InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset) const {
  return aarch64::InitialExecTlsLoad(code, offset);
}

}  // namespace aarch64
}  // namespace fringe
