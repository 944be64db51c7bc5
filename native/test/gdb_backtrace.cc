// Run by the gdb_backtrace test: gdb stops in stop_in_generator(), three
// frames deep inside a generator, and `bt` must continue past the generator's
// first frame into resumer_function() and main() (call-stack splicing).

#include <cstdio>

#include "fringe/generator.hpp"

extern "C" __attribute__((noinline)) void stop_in_generator() { asm volatile("" ::: "memory"); }

__attribute__((noinline)) int generator_frame(fringe::Yielder<int, int>& yielder, int depth) {
  if (depth == 0) {
    stop_in_generator();
    return yielder.suspend(1);
  }
  int r = generator_frame(yielder, depth - 1);
  asm volatile("" ::: "memory");  // not a tail call
  return r + 1;
}

__attribute__((noinline)) int resumer_function(fringe::Generator<int, int>& gen) {
  int r = *gen.resume(0);
  asm volatile("" ::: "memory");
  return r;
}

int main() {
  fringe::Generator<int, int> gen(fringe::OsStack(64 * 1024),
                                  [](fringe::Yielder<int, int>& yielder, int) { generator_frame(yielder, 3); });
  std::printf("resumed: %d\n", resumer_function(gen));
  return 0;
}
