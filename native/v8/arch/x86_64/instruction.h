// Decoding one x86-64 instruction into a value that says what it does to
// the register model (register_model.h): the memory operand it accesses,
// the registers it writes and how, and where control goes next. Nothing
// here knows about registers' contents or about other instructions.
//
// Only the forms that compilers emit in small accessor-like functions are
// modelled precisely (mov, lea, add/sub of an immediate, calls, jumps,
// returns); every other general-purpose and SSE encoding is decoded for its
// length, its memory operand and the registers it overwrites, which become
// unknown.

#ifndef FRINGE_V8_ARCH_X86_64_INSTRUCTION_H
#define FRINGE_V8_ARCH_X86_64_INSTRUCTION_H

#include <cstddef>
#include <cstdint>

namespace fringe {
namespace x86_64 {

enum Register { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7 };
constexpr int kRegisters = 16;
constexpr int kRipBase = 16;  // ModRM::base of a %rip-relative operand

/// A ModRM (+ SIB + displacement) operand.
struct ModRM {
  int mod = 0, reg = 0, rm = 0;
  bool memory = false;
  int base = -1;   // -1: none; kRipBase: %rip
  int index = -1;  // -1: none
  std::int64_t disp = 0;
};

/// One register the instruction writes, and what it writes there.
struct RegisterWrite {
  enum Kind {
    kUnknown,  // anything the model does not follow
    kCopy,     // reg = source (64-bit mov)
    kAddress,  // reg = the memory operand's address (64-bit lea)
    kLoad,     // reg = the 8 bytes at the memory operand (64-bit mov)
    kAdd,      // reg = reg + immediate (64-bit add, or sub of its negation)
  };
  Kind kind = kUnknown;
  int reg = 0;
  int source = 0;          // kCopy
  std::int64_t immediate = 0;  // kAdd
};

/// Where control goes after the instruction.
enum class Flow {
  kNext,           // the next instruction
  kBranch,         // conditional: the next instruction, and `target`
  kJump,           // only `target` (jmp rel8)
  kTailJump,       // only `target`, and it may be a tail call (jmp rel32)
  kCall,           // a direct call to `target`; the next instruction after
  kIndirectCall,   // a call through a register or memory; the next after
  kIndirectJump,   // unknown
  kReturn,         // ret
  kTrap,           // int3: a path that does not return
  kStop,           // ud2: a path that does not return, and is not an error
  kUnsupported,    // an opcode the decoder does not know
  kTruncated,      // the bytes end inside the instruction
};

struct Instruction {
  std::size_t length = 0;
  std::uint8_t opcode = 0;  // the (last) opcode byte, for messages
  // The memory operand: accessed (accesses_memory), or only its address
  // taken (lea).
  bool accesses_memory = false;
  ModRM operand;
  bool store = false;
  int access_size = 0;  // bytes, 0 when not known
  RegisterWrite writes[4];
  int write_count = 0;
  bool clobbers_caller_saved = false;  // a call or syscall
  Flow flow = Flow::kNext;
  std::int64_t displacement = 0;  // of a branch, jump or call: from the instruction's end
};

/// Decodes the instruction at `code[pos]` (`size` bytes readable at `code`).
Instruction DecodeInstruction(const std::uint8_t* code, std::size_t size, std::size_t pos);

}  // namespace x86_64
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_X86_64_INSTRUCTION_H
