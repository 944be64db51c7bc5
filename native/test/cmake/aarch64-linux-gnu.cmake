# Toolchain file: the native suite for Linux on AArch64, cross-compiled with
# Debian's gcc cross compiler and run under user-mode qemu.
#
#   apt-get install g++-aarch64-linux-gnu libc6-arm64-cross libstdc++6-arm64-cross \
#                   binutils-aarch64-linux-gnu qemu-user-static
#   cmake -S . -B build-native-aarch64 -DCMAKE_TOOLCHAIN_FILE=native/test/cmake/aarch64-linux-gnu.cmake
#
# `npm test` does this itself when FRINGE_AARCH64 allows (scripts/test.js).
# FRINGE_AARCH64_PREFIX is where the target's C library lives: the compiler
# finds it by itself, and qemu needs it (-L) to load the dynamic linker.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(FRINGE_AARCH64_TRIPLE aarch64-linux-gnu CACHE STRING "The cross compiler's prefix")
set(FRINGE_AARCH64_PREFIX /usr/aarch64-linux-gnu CACHE PATH "The target's libraries, for qemu -L")

set(CMAKE_C_COMPILER ${FRINGE_AARCH64_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${FRINGE_AARCH64_TRIPLE}-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static;-L;${FRINGE_AARCH64_PREFIX})

# Libraries and headers from the target's prefix only; programs (readelf,
# qemu) from the host.
set(CMAKE_FIND_ROOT_PATH ${FRINGE_AARCH64_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
