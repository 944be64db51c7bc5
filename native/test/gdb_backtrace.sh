#!/bin/sh
# Usage: gdb_backtrace.sh <gdb_backtrace binary>
# Stops inside the generator and checks that gdb's backtrace goes from the
# generator's frames through the trampolines into the resumer and main().
set -eu
binary=$1
out=$(gdb -nx -batch -ex 'set pagination off' -ex 'break stop_in_generator' -ex run -ex bt "$binary" 2>&1)
echo "$out" | grep '^#'
frames=$(echo "$out" | grep '^#' | sed -e 's/^#[0-9]* *//' -e 's/^0x[0-9a-f]* in //' | awk '{print $1}')
order=$(echo "$frames" | grep -E '^(stop_in_generator|generator_frame|fringe_(x86_64|i386|aarch64)_trampoline_2|__morestack|resumer_function|main)$' | uniq | tr '\n' ' ')
expected_x86_64="stop_in_generator generator_frame fringe_x86_64_trampoline_2 __morestack resumer_function main "
expected_i386="stop_in_generator generator_frame fringe_i386_trampoline_2 __morestack resumer_function main "
expected_aarch64="stop_in_generator generator_frame fringe_aarch64_trampoline_2 __morestack resumer_function main "
if [ "$order" = "$expected_x86_64" ] || [ "$order" = "$expected_i386" ] || [ "$order" = "$expected_aarch64" ]; then
  echo "backtrace continues into the resumer: $order"
  exit 0
fi
echo "unexpected frame order: $order" >&2
echo "$out" >&2
exit 1
