// Decoding one A64 instruction (AArch64, little-endian, 4 bytes) into a
// value that says what it does to the register model (register_model.h):
// the memory it accesses, the registers it writes and how, and where
// control goes next. Nothing here knows about registers' contents or about
// other instructions.
//
// Modelled precisely: the forms compilers emit in small accessor-like
// functions and that carry V8's field offsets -- loads and stores with an
// immediate offset (scaled `ldr x0, [x1, #32]`, unscaled `ldur`, pre/post
// index, pairs `ldp`/`stp`, SIMD `ldr q0`), `add`/`sub` of an immediate
// (also `lsl #12`, how offsets above 4 KiB are split over two
// instructions), constants built with `movz`/`movn`/`movk` or a logical
// immediate and added with `add x0, x0, x1`, `adr`/`adrp`, register moves
// (`mov x0, x1`, `fmov x0, d0`), calls, branches and returns. Every other
// instruction is classified far enough to know which registers it
// overwrites, which become unknown; an encoding outside the classes below
// (SVE, SME, memory tagging) is kUnsupported, which ends the walk with an
// error instead of a guess.

#ifndef FRINGE_V8_ARCH_AARCH64_INSTRUCTION_H
#define FRINGE_V8_ARCH_AARCH64_INSTRUCTION_H

#include <cstddef>
#include <cstdint>

namespace fringe {
namespace aarch64 {

// Register numbers of the model. x0..x30 are 0..30; encoding 31 means sp
// or xzr depending on the instruction, which the decoder resolves.
constexpr int kSp = 31;
constexpr int kZero = 32;    // xzr as an operand: reads 0, writes vanish
constexpr int kVector = 33;  // v0 is kVector + 0: its low 64 bits
constexpr int kRegisters = kVector + 32;

/// A memory access: the address is `base` + `offset` (before any
/// writeback), plus `index` << `index_shift` for a register offset.
struct Access {
  int base = 0;
  std::int64_t offset = 0;
  int size = 0;  // bytes
  bool store = false;
  int index = -1;  // -1: none
  int index_shift = 0;
};

/// One register the instruction writes, and what it writes there. Sources
/// are read as they were before the instruction.
struct RegisterWrite {
  enum Kind {
    kUnknown,   // anything the model does not follow
    kCopy,      // reg = source (64 bits)
    kConstant,  // reg = immediate
    kInsert,    // reg = source with the 16 bits at `shift` replaced by immediate (movk)
    kAdd,       // reg = source + immediate
    kAddShifted,  // reg = source + (source2 << shift), or minus with `subtract`
    kLoad,      // reg = the 8 bytes at accesses[access]
  };
  Kind kind = kUnknown;
  int reg = 0;
  int source = 0;
  int source2 = 0;
  int shift = 0;
  bool subtract = false;
  bool bits32 = false;  // a W-register result: constants are truncated, anything else is unknown
  std::int64_t immediate = 0;
  int access = 0;
};

/// Where control goes after the instruction.
enum class Flow {
  kNext,          // the next instruction
  kBranch,        // conditional (b.cond, cbz, tbz...): the next instruction, and `target`
  kTailJump,      // b: only `target`, and it may be a tail call
  kCall,          // bl: a direct call to `target`; the next instruction after
  kIndirectCall,  // blr: the next instruction after
  kIndirectJump,  // br: unknown
  kReturn,        // ret (also retaa/retab)
  kTrap,          // brk, hlt: a path that does not return
  kStop,          // udf: a path that does not return, and is not an error
  kUnsupported,   // an encoding the decoder does not classify
};

struct Instruction {
  std::uint32_t word = 0;
  Access accesses[2];
  int access_count = 0;
  RegisterWrite writes[4];
  int write_count = 0;
  bool clobbers_caller_saved = false;  // a call or a system call
  bool reads_thread_pointer = false;   // mrs Xt, tpidr_el0 (writes[0].reg = Xt)
  Flow flow = Flow::kNext;
  std::int64_t target = 0;  // of a branch or call: from the instruction's start
};

/// Decodes the 4-byte instruction `word` found at `pc` (the code's address:
/// adr/adrp results are addresses relative to it).
Instruction DecodeInstruction(std::uint32_t word, std::uint64_t pc);

/// Reads the little-endian instruction word at `code[pos]`.
std::uint32_t InstructionWord(const std::uint8_t* code, std::size_t pos);

}  // namespace aarch64
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_AARCH64_INSTRUCTION_H
