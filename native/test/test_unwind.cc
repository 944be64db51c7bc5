// Call stack splicing, seen from inside a generator without a debugger: the
// DWARF unwinder of the C++ runtime (libgcc's _Unwind_Backtrace, the one
// exceptions use) and a frame-pointer walk (what perf does) must both go
// from the generator's frames through the trampolines into the function
// that resumed it. This runs wherever the suite runs, user-mode qemu
// included, unlike the gdb test (native/test/gdb_backtrace.sh).

#include <unwind.h>

#include <cstdint>
#include <vector>

#include "check.hpp"
#include "fringe/generator.hpp"

namespace {

using IntGen = fringe::Generator<int, int>;

// The start of the function containing each frame's code address, in order
// from the innermost frame, as the DWARF unwinder finds them.
std::vector<std::uintptr_t> dwarf_functions;
// The same for the return addresses of the frame-pointer chain.
std::vector<std::uintptr_t> fp_functions;

std::uintptr_t enclosing_function(std::uintptr_t code_address) {
  return reinterpret_cast<std::uintptr_t>(_Unwind_FindEnclosingFunction(reinterpret_cast<void*>(code_address)));
}

_Unwind_Reason_Code record_frame(_Unwind_Context* context, void*) {
  int before_instruction = 0;
  std::uintptr_t ip = _Unwind_GetIPInfo(context, &before_instruction);
  // A return address points after the call: look up the call itself.
  if (ip != 0 && !before_instruction) ip -= 1;
  dwarf_functions.push_back(enclosing_function(ip));
  return dwarf_functions.size() < 64 ? _URC_NO_REASON : _URC_NORMAL_STOP;
}

extern "C" __attribute__((noinline)) int unwind_resumer(IntGen& gen);

// Follows frame records {previous fp, return address} (x86 %rbp and
// aarch64 x29 both point at one) until the resumer shows up, or for at most
// 32 frames: a broken chain is not followed into the unknown.
__attribute__((noinline)) void walk_frame_pointers() {
  auto** fp = static_cast<void**>(__builtin_frame_address(0));
  for (int depth = 0; depth < 32 && fp != nullptr; depth++) {
    if (reinterpret_cast<std::uintptr_t>(fp) % sizeof(void*) != 0) break;
    auto return_address = reinterpret_cast<std::uintptr_t>(fp[1]);
    if (return_address == 0) break;
    fp_functions.push_back(enclosing_function(return_address - 1));
    if (fp_functions.back() == reinterpret_cast<std::uintptr_t>(&unwind_resumer)) break;
    fp = static_cast<void**>(fp[0]);
  }
}

__attribute__((noinline)) void unwind_inside_generator(int depth) {
  if (depth > 0) {
    unwind_inside_generator(depth - 1);
    asm volatile("" ::: "memory");  // not a tail call
    return;
  }
  _Unwind_Backtrace(&record_frame, nullptr);
  walk_frame_pointers();
}

extern "C" __attribute__((noinline)) int unwind_resumer(IntGen& gen) {
  int r = *gen.resume(0);
  asm volatile("" ::: "memory");  // not a tail call
  return r;
}

bool contains(const std::vector<std::uintptr_t>& functions, std::uintptr_t function) {
  for (std::uintptr_t f : functions) {
    if (f == function) return true;
  }
  return false;
}

}  // namespace

TEST(unwind_dwarf_crosses_into_the_resumer) {
  dwarf_functions.clear();
  IntGen gen(fringe::OsStack(64 * 1024), [](fringe::Yielder<int, int>& yielder, int) {
    unwind_inside_generator(2);
    yielder.suspend(7);
  });
  CHECK(unwind_resumer(gen) == 7);
  REQUIRE(dwarf_functions.size() >= 2);
  CHECK(dwarf_functions[0] == reinterpret_cast<std::uintptr_t>(&unwind_inside_generator));
  CHECK(contains(dwarf_functions, reinterpret_cast<std::uintptr_t>(&unwind_resumer)));
  if (!contains(dwarf_functions, reinterpret_cast<std::uintptr_t>(&unwind_resumer))) {
    std::fprintf(stderr, "  the walk found %zu frames and stopped short of the resumer\n", dwarf_functions.size());
  }
}

TEST(unwind_frame_pointer_chain_crosses_into_the_resumer) {
  fp_functions.clear();
  IntGen gen(fringe::OsStack(64 * 1024), [](fringe::Yielder<int, int>& yielder, int) {
    unwind_inside_generator(2);
    yielder.suspend(7);
  });
  CHECK(unwind_resumer(gen) == 7);
  REQUIRE(!fp_functions.empty());
  CHECK(fp_functions[0] == reinterpret_cast<std::uintptr_t>(&unwind_inside_generator));
  CHECK(fp_functions.back() == reinterpret_cast<std::uintptr_t>(&unwind_resumer));
}
