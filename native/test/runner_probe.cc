// Built for a target the native suite may not run on directly (i386 on a
// host kernel without IA-32 emulation, aarch64 on x86_64): CMake runs it
// natively, then under user-mode qemu, to choose how the suite's binaries
// are started (native/test/cmake/FringeRunner.cmake). It checks the pointer
// width it was built for, so a probe that ran as the wrong kind of binary
// cannot pass. It includes <cerrno> because the suite does: without
// g++-multilib's <asm/errno.h>, an i386 build fails here, and configure
// says the i386 suite is skipped and why, instead of failing later.
#include <cerrno>
#include <cstdio>

int main() {
  errno = 0;
  std::printf("fringe runner probe: %u-bit pointers\n", static_cast<unsigned>(sizeof(void*) * 8));
  return 40 + static_cast<int>(sizeof(void*));
}
