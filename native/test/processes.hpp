// What the native tests that fault on purpose share: running a body in a
// forked child, reading how it ended, a recursion that really eats the
// stack, and whether an address is mapped.

#ifndef FRINGE_TEST_PROCESSES_HPP
#define FRINGE_TEST_PROCESSES_HPP

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace check {

struct ChildEnd {
  int status = 0;
  std::string stderr_text;
};

// Runs `body` in a child process with its stderr going to a pipe; returns
// the wait status and what it wrote there.
template <class F>
ChildEnd in_child(F body) {
  std::fflush(nullptr);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return ChildEnd{-1, "pipe failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(pipe_fds[0]);
    dup2(pipe_fds[1], STDERR_FILENO);
    alarm(60);  // a handler that loops must not hang the suite
    body();
    _exit(0);
  }
  close(pipe_fds[1]);
  ChildEnd end;
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) end.stderr_text.append(buffer, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  waitpid(pid, &end.status, 0);
  return end;
}

inline bool killed_by(int status, int signal) { return WIFSIGNALED(status) && WTERMSIG(status) == signal; }
inline bool exited_zero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
// Not a tail call, and a frame the compiler cannot shrink: it really eats
// the stack until it overflows.
__attribute__((noinline)) inline int recurse_forever(volatile int depth) {
  volatile char pad[256];
  pad[0] = static_cast<char>(depth);
  return recurse_forever(depth + 1) + pad[0];
}
#pragma GCC diagnostic pop

// Whether any mapping of this process contains `address`, from
// /proc/self/maps (a syscall on an unmapped address would trip valgrind).
inline bool is_mapped(void* address) {
  auto where = reinterpret_cast<std::uintptr_t>(address);
  std::FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return false;
  bool found = false;
  unsigned long start, end;
  char line[512];
  while (!found && std::fgets(line, sizeof line, maps)) {
    if (std::sscanf(line, "%lx-%lx", &start, &end) == 2) found = start <= where && where < end;
  }
  std::fclose(maps);
  return found;
}

}  // namespace check

#endif  // FRINGE_TEST_PROCESSES_HPP
