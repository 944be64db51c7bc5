// See decoder.h. The walk: decode one instruction (instruction.h), apply
// it to the register model (register_model.h), follow control flow, and
// take up the branch targets left (arch/branch_worklist.h).

#include "v8/arch/x86_64/decoder.h"

#include <cstdio>
#include <cstring>

#include "v8/arch/branch_worklist.h"
#include "v8/arch/x86_64/instruction.h"
#include "v8/arch/x86_64/register_model.h"

namespace fringe {
namespace x86_64 {

code::Analysis Analyze(const CodeBytes& function, std::size_t max_bytes, int arguments, bool all_paths) {
  code::Analysis out;
  if (max_bytes > function.size) max_bytes = function.size;
  RegisterModel regs(arguments);
  BranchWorklist<RegisterModel> worklist(max_bytes, all_paths);
  std::size_t pos = 0;
  for (;;) {
    // The end of one path: the bytes ran out, or control left it.
    if (pos >= max_bytes) {
      if (worklist.Next(&pos, &regs)) continue;
      break;
    }
    const Instruction insn = DecodeInstruction(function.bytes, max_bytes, pos);
    const std::size_t end = pos + insn.length;
    const std::int64_t target = static_cast<std::int64_t>(end) + insn.displacement;
    if (insn.flow == Flow::kCall || insn.flow == Flow::kTailJump || insn.flow == Flow::kIndirectCall) {
      // With the argument registers as they are at the call. A jmp rel32 is
      // recorded too: compilers end functions with tail calls.
      const std::uintptr_t address = insn.flow == Flow::kIndirectCall ? 0 : function.address + target;
      out.calls.push_back(code::Call{address, regs[RDI], regs[RSI]});
    }
    if (insn.flow != Flow::kTruncated) regs.Apply(insn, &out);
    pos = end;
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
          out.return_value = regs[RAX];
        }
        if (worklist.Next(&pos, &regs)) continue;
        return out;
      case Flow::kJump:
      case Flow::kTailJump:
      case Flow::kIndirectJump:
        if (insn.flow != Flow::kIndirectJump) worklist.Add(target, regs);
        if (worklist.Next(&pos, &regs)) continue;
        if (out.reached_return) return out;
        out.error = insn.flow == Flow::kIndirectJump ? "indirect jump" : "jump";
        return out;
      case Flow::kTrap:
        if (worklist.Next(&pos, &regs)) continue;
        out.error = "int3";
        return out;
      case Flow::kStop:
      case Flow::kTruncated:
        if (worklist.Next(&pos, &regs)) continue;
        break;
      case Flow::kUnsupported: {
        char buf[48];
        std::snprintf(buf, sizeof buf, "unsupported opcode 0x%02x", insn.opcode);
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
  // `mov $imm32,%eax; ret`, what gcc and clang emit for `return constant;`,
  // inside `push %rbp; mov %rsp,%rbp` ... `pop %rbp` when the build keeps
  // frame pointers (Node 26). Nothing else is accepted.
  static const std::uint8_t kFrameEnter[] = {0x55, 0x48, 0x89, 0xE5};
  const std::uint8_t* c = function.bytes;
  std::size_t left = function.size;
  bool frame = left >= sizeof kFrameEnter && std::memcmp(c, kFrameEnter, sizeof kFrameEnter) == 0;
  if (frame) {
    c += sizeof kFrameEnter;
    left -= sizeof kFrameEnter;
  }
  const std::size_t length = frame ? 7 : 6;  // mov, [pop], ret
  if (left < length || c[0] != 0xB8 || (frame && c[5] != 0x5D) || c[length - 1] != 0xC3) return false;
  std::int32_t imm;
  std::memcpy(&imm, c + 1, sizeof imm);
  *value = imm;
  return true;
}

bool InitialExecTlsLoad(const CodeBytes& function, std::int64_t* offset) {
  // mov %fs:disp32, %rax: %fs holds the thread pointer on x86-64 Linux, and
  // an initial-exec thread_local of the executable is at a fixed offset.
  static const std::uint8_t kMovFsRax[] = {0x64, 0x48, 0x8b, 0x04, 0x25};
  if (function.size < sizeof kMovFsRax + 4 || std::memcmp(function.bytes, kMovFsRax, sizeof kMovFsRax) != 0) {
    return false;
  }
  std::int32_t disp;
  std::memcpy(&disp, function.bytes + sizeof kMovFsRax, sizeof disp);
  *offset = disp;
  return true;
}

code::Analysis InstructionSet::Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments,
                                       bool all_paths) const {
  return x86_64::Analyze(code, max_bytes, arguments, all_paths);
}

bool InstructionSet::ConstantReturn(const CodeBytes& code, std::int64_t* value) const {
  return x86_64::ConstantReturn(code, value);
}

bool InstructionSet::InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset) const {
  return x86_64::InitialExecTlsLoad(code, offset);
}

}  // namespace x86_64
}  // namespace fringe
