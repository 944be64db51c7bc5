// Built for a target the native suite may not run on directly (i386 on a
// host kernel without IA-32 emulation, aarch64 on x86_64): CMake runs it
// natively, then under user-mode qemu, to choose how the suite's binaries
// are started (native/test/cmake/FringeRunner.cmake). It checks the pointer
// width it was built for, so a probe that ran as the wrong kind of binary
// cannot pass.
#include <cstdio>

int main() {
  std::printf("fringe runner probe: %u-bit pointers\n", static_cast<unsigned>(sizeof(void*) * 8));
  return 40 + static_cast<int>(sizeof(void*));
}
