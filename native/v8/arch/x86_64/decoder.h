// A small x86-64 decoder that follows pointer arithmetic through one
// function. V8's field offsets are not part of any API and move between
// patch releases, but V8's own code loads them: decoding a few tiny,
// stable functions (ThreadState::Next, ThreadManager::EagerlyArchiveThread,
// Locker::IsLocked, ...) tells where each field is in the running binary.
//
// Values are tracked symbolically as "argument N, then a chain of
// loads/additions": after
//     mov 0x48(%rdi), %rax
//     mov 0xe3b0(%rax), %rdi
// %rdi is arg0 -> load +0x48 -> load +0xe3b0. The analysis is a straight
// walk from the function's first instruction to its first `ret` (or a
// length limit): enough for the small functions it is used on. On request
// it also walks every branch target once, with the registers as they were
// at the branch, for code that a compiler moved out of line (a cold path
// after the first `ret`). Anything it
// does not model makes the written register unknown, so a pattern it does
// not understand gives "no result", never a wrong offset. Callers verify
// every derived offset against the live isolate anyway.

#ifndef FRINGE_V8_ARCH_X86_64_DECODER_H
#define FRINGE_V8_ARCH_X86_64_DECODER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fringe {
namespace x86 {

/// A value as a chain of operations applied to one of the function's
/// integer arguments (0 = %rdi, 1 = %rsi, ...).
struct Symbol {
  static constexpr int kMaxSteps = 4;
  struct Step {
    bool load;           // true: *(value + offset); false: value + offset
    std::int64_t offset;
  };
  int argument = -1;  // -1: unknown
  int steps = 0;
  Step step[kMaxSteps] = {};

  static Symbol Unknown() { return Symbol(); }
  static Symbol Argument(int n) {
    Symbol s;
    s.argument = n;
    return s;
  }
  bool known() const { return argument >= 0; }
  Symbol Add(std::int64_t offset) const;
  Symbol Load(std::int64_t offset) const;
  /// Matches "argument `arg`, then loads at the given offsets" and returns
  /// the final addition (0 if none); used to read results.
  bool Is(int arg, std::initializer_list<std::int64_t> loads, std::int64_t* final_add = nullptr) const;
  std::string ToString() const;
};

/// A call found in the analysed function (or a `jmp rel32` that ends it,
/// which compilers emit for tail calls), with the first two argument
/// registers at the call.
struct Call {
  std::uintptr_t target;
  Symbol rdi;
  Symbol rsi;
};

/// A memory access found in the analysed function: the address is
/// `base + displacement`.
struct Access {
  Symbol base;
  std::int64_t displacement;
  bool store;
  int size;  // bytes, 0 when not known
};

struct Analysis {
  std::vector<Call> calls;
  std::vector<Access> accesses;
  bool reached_return = false;
  Symbol return_value;  // %rax at the `ret`
  std::string error;  // why decoding stopped early, if it did
};

/// Walks the function at `code` (at most `max_bytes`) and records calls and
/// memory accesses with symbolic operands. `arguments` says how many of the
/// integer argument registers hold arguments. With `all_paths`, the targets
/// of jumps inside the limit are walked too (each once); return_value is then
/// the one at the first `ret` reached on the straight walk.
Analysis Analyze(const std::uint8_t* code, std::size_t max_bytes, int arguments, bool all_paths = false);

}  // namespace x86
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_X86_64_DECODER_H
