# How to run binaries of another architecture or ABI: one mechanism for every
# suite the native tests build beside the host's (i386 with -m32 today,
# aarch64 with a cross compiler next).
#
#   fringe_select_runner(<prefix> <label> <qemu program>
#                        EXPECT_POINTER_BYTES <4 or 8>
#                        [RUN_DIRECTLY <ON|OFF>] [FLAGS <flag>...]
#                        [QEMU_ARGS <arg>...])
#
# Builds native/test/runner_probe.cc with the current compiler and <flags>,
# then tries, in order:
#   1. running it directly: the kernel executes it (i386 where the kernel has
#      IA-32 emulation, or any binary a binfmt_misc handler takes);
#      RUN_DIRECTLY OFF skips this: to test the emulated path on a host that
#      runs the binaries, or where a binfmt_misc handler runs them under an
#      emulator that gdb cannot follow;
#   2. running it under <qemu program> (user-mode qemu, Debian's
#      qemu-user-static; a name looked up on PATH, or a path) when that is
#      installed, with <QEMU_ARGS> before the binary (for a dynamically
#      linked guest: -L <the target's library prefix>).
# Sets, in the caller's scope:
#   <prefix>_BUILDS    TRUE when the probe compiled and linked
#   <prefix>_RUNNER    "" (run directly) or the emulator command (a list:
#                      program and QEMU_ARGS) to put in front of each test
#                      binary
#   <prefix>_RUNS      TRUE when one of the two ran the probe correctly
#   <prefix>_EMULATED  TRUE when that was qemu
#   <prefix>_WHY       when it does not run: what was tried and what to
#                      install; when emulated: why not directly
#
# A probe "runs" only when it exits with 40 + sizeof(void*) of its target, so
# a shell that reads an unrunnable binary as a script (exit 2, "Syntax error:
# "(" unexpected") is not mistaken for success.

function(fringe_select_runner prefix label qemu_program)
  cmake_parse_arguments(ARG "" "EXPECT_POINTER_BYTES;RUN_DIRECTLY" "FLAGS;QEMU_ARGS" ${ARGN})
  if(NOT DEFINED ARG_RUN_DIRECTLY)
    set(ARG_RUN_DIRECTLY ON)
  endif()
  set(probe_dir ${CMAKE_BINARY_DIR}/runner-probe-${label})
  set(probe ${probe_dir}/runner_probe_${label})
  try_compile(builds ${probe_dir}/build
              SOURCES ${PROJECT_SOURCE_DIR}/native/test/runner_probe.cc
              COMPILE_DEFINITIONS ${ARG_FLAGS}
              LINK_OPTIONS ${ARG_FLAGS}
              OUTPUT_VARIABLE build_log
              COPY_FILE ${probe})
  set(${prefix}_BUILDS ${builds} PARENT_SCOPE)
  set(${prefix}_RUNNER "" PARENT_SCOPE)
  set(${prefix}_RUNS FALSE PARENT_SCOPE)
  set(${prefix}_EMULATED FALSE PARENT_SCOPE)
  if(NOT builds)
    set(${prefix}_WHY "the ${label} probe does not build (flags: ${ARG_FLAGS})" PARENT_SCOPE)
    return()
  endif()
  math(EXPR expected "40 + ${ARG_EXPECT_POINTER_BYTES}")

  if(ARG_RUN_DIRECTLY)
    # execute_process hands a binary the kernel refuses (ENOEXEC) to /bin/sh,
    # which then fails on its bytes: the exit code tells.
    execute_process(COMMAND ${probe} RESULT_VARIABLE direct_rc OUTPUT_VARIABLE direct_out ERROR_VARIABLE direct_err)
    if(direct_rc STREQUAL expected)
      set(${prefix}_RUNS TRUE PARENT_SCOPE)
      return()
    endif()
    string(STRIP "running the probe directly: exit ${direct_rc}, ${direct_err}" direct_why)
  else()
    set(direct_why "not tried: RUN_DIRECTLY is OFF")
  endif()

  # Cached under the program's name, so that naming another program looks again.
  string(MAKE_C_IDENTIFIER "FRINGE_PROGRAM_${qemu_program}" qemu_var)
  find_program(${qemu_var} ${qemu_program})
  set(qemu ${${qemu_var}})
  if(NOT qemu)
    set(${prefix}_WHY "${label} binaries do not run here (${direct_why}) and ${qemu_program} is not installed (Debian: apt-get install qemu-user-static)" PARENT_SCOPE)
    return()
  endif()
  execute_process(COMMAND ${qemu} ${ARG_QEMU_ARGS} ${probe} RESULT_VARIABLE qemu_rc OUTPUT_VARIABLE qemu_out ERROR_VARIABLE qemu_err)
  if(qemu_rc STREQUAL expected)
    set(${prefix}_RUNNER ${qemu} ${ARG_QEMU_ARGS} PARENT_SCOPE)
    set(${prefix}_RUNS TRUE PARENT_SCOPE)
    set(${prefix}_EMULATED TRUE PARENT_SCOPE)
    set(${prefix}_WHY "${direct_why}" PARENT_SCOPE)
    return()
  endif()
  string(STRIP "exit ${qemu_rc}, ${qemu_err}" qemu_why)
  set(${prefix}_WHY "${label} binaries do not run here (${direct_why}), nor under ${qemu} (${qemu_why})" PARENT_SCOPE)
endfunction()
