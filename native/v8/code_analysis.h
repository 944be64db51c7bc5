// What decoding one function of V8 tells: the calls it makes and the memory
// it touches, with every address written as a symbolic value, "argument N,
// then a chain of loads and additions". After (x86-64)
//     mov 0x48(%rdi), %rax
//     mov 0xe3b0(%rax), %rdi
// %rdi is arg0 -> load +0x48 -> load +0xe3b0; the second load's address is
// arg0[+0x48]+0xe3b0, so V8's field offsets can be read off.
//
// These types are the same for every architecture: an instruction set
// (instruction_set.h) produces an Analysis from machine code, and the layout
// derivation (layout_derivation.h) reads only Analyses. A value the decoder
// cannot follow is unknown, so a pattern it does not understand gives "no
// result", never a wrong offset.

#ifndef FRINGE_V8_CODE_ANALYSIS_H
#define FRINGE_V8_CODE_ANALYSIS_H

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace fringe {
namespace code {

/// A value as a chain of operations applied to one of the function's
/// integer arguments (0 = the first argument register, ...).
struct Value {
  static constexpr int kMaxSteps = 4;
  struct Step {
    bool load;           // true: *(value + offset); false: value + offset
    std::int64_t offset;
  };
  int argument = -1;  // -1: unknown
  int steps = 0;
  Step step[kMaxSteps] = {};

  static Value Unknown() { return Value(); }
  static Value Argument(int n) {
    Value v;
    v.argument = n;
    return v;
  }
  bool known() const { return argument >= 0; }
  Value Add(std::int64_t offset) const;
  Value Load(std::int64_t offset) const;
  /// Matches "argument `arg`, then loads at the given offsets" and returns
  /// the final addition (0 if none); used to read results.
  bool Is(int arg, std::initializer_list<std::int64_t> loads, std::int64_t* final_add = nullptr) const;
  std::string ToString() const;
};

/// A call found in the analysed function (or a jump that ends it, which
/// compilers emit for tail calls), with the first two arguments at the call.
/// `target` is in the address space of the code's `address` (code_source.h):
/// the process's for live code, link-time addresses for a file.
struct Call {
  std::uintptr_t target;  // 0: indirect
  Value arg0;
  Value arg1;
};

/// A memory access found in the analysed function: the address is
/// `base + displacement`.
struct Access {
  Value base;
  std::int64_t displacement;
  bool store;
  int size;  // bytes, 0 when not known
};

struct Analysis {
  std::vector<Call> calls;
  std::vector<Access> accesses;
  bool reached_return = false;
  Value return_value;  // the return register at the first return reached
  std::string error;  // why decoding stopped early, if it did
};

}  // namespace code
}  // namespace fringe

#endif  // FRINGE_V8_CODE_ANALYSIS_H
