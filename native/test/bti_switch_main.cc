// native_aarch64.bti_landing_pads: the switch runs in a BTI-guarded library
// (bti_switch.cc). Exit 77 (skipped) on a CPU without BTI; fails when the
// library turns out not to be guarded, or when a switch faults.

#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#ifndef HWCAP2_BTI
#define HWCAP2_BTI (1 << 17)
#endif

extern "C" long bti_switch_round_trips(long n);
extern "C" long bti_switch_unpadded_branch();

int main() {
  if ((getauxval(AT_HWCAP2) & HWCAP2_BTI) == 0) {
    std::printf("this CPU has no BTI: nothing to check\n");
    return 77;
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    bti_switch_unpadded_branch();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGILL)) {
    std::printf("FAIL: an unpadded indirect branch did not fault: the library is not guarded\n");
    return 1;
  }
  long r = bti_switch_round_trips(1000);
  if (r != 1000) {
    std::printf("FAIL: 1000 round trips returned %ld\n", r);
    return 1;
  }
  std::printf("ok: guarded (an unpadded branch faults), 1000 switch round trips with BTI and pac-ret\n");
  return 0;
}
