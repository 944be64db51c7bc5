// A readable report for a native stack overflow inside a generator.
//
// Running off the end of an OsStack touches its PROT_NONE guard page, and
// the kernel sends SIGSEGV. Without help that is a bare "Segmentation
// fault"; with InstallOverflowHandler() the process prints
//
//   fringe: stack overflow in a generator (stack of 65536 bytes)
//   fringe: <how to give the generator a larger stack>
//
// and aborts (SIGABRT: a core dump, and an abort under a debugger). Every
// other SIGSEGV is left alone: the handler passes it on to the handler that
// was installed before it (V8's WebAssembly trap handler, for one, which
// turns out-of-bounds memory accesses into catchable RuntimeErrors), or
// restores the default action so that the fault kills the process as usual.
//
// How a fault is recognized: its address lies in the guard page of a live
// OsStack (guard_pages.hpp keeps them). Nothing else is claimed.
//
// Where the handler runs: the faulting thread's stack is exhausted, so the
// handler needs an alternate signal stack (sigaltstack), one per thread.
// InstallOverflowHandler() gives the calling thread one; every other thread
// that runs generators calls EnsureOverflowAltStack() (the Node addon does
// both for each thread that loads it). A thread that already has an
// alternate stack keeps it. One that has none overflows silently as before
// (the kernel cannot deliver the signal and kills the process).
//
// Everything the handler does is async-signal-safe: lock-free reads of the
// registry, write(2), sigaction, abort().

#ifndef FRINGE_OVERFLOW_HPP
#define FRINGE_OVERFLOW_HPP

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "guard_pages.hpp"
#include "stack.hpp"

namespace fringe {

/// What the report suggests when no hint is given: C++ generators.
constexpr const char* kOverflowHintCxx =
    "give the generator a larger stack: the size passed to fringe::OsStack(size) for it";

/// Bytes of each alternate signal stack this header maps (plus a guard page).
/// The handler itself needs little; what it chains to gets the rest.
constexpr std::size_t kOverflowAltStackSize = 64 * 1024;

namespace overflow_detail {

inline struct sigaction previous;  // the SIGSEGV action before ours
inline std::atomic<const char*> hint{kOverflowHintCxx};
inline std::atomic<std::size_t> page{0};  // page_size(), read in the handler

inline void write_all(const char* data, std::size_t length) noexcept {
  while (length > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    length -= static_cast<std::size_t>(n);
  }
}

// Appends `text` to buffer[*used..capacity), truncating.
inline void append(char* buffer, std::size_t capacity, std::size_t* used, const char* text) noexcept {
  while (*text != '\0' && *used < capacity) buffer[(*used)++] = *text++;
}

inline void append_decimal(char* buffer, std::size_t capacity, std::size_t* used, std::size_t value) noexcept {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0 && *used < capacity) buffer[(*used)++] = digits[--n];
}

[[noreturn]] inline void report_and_abort(std::size_t stack_size) noexcept {
  char message[512];
  std::size_t used = 0;
  append(message, sizeof message, &used, "fringe: stack overflow in a generator (stack of ");
  append_decimal(message, sizeof message, &used, stack_size);
  append(message, sizeof message, &used, " bytes)\nfringe: ");
  append(message, sizeof message, &used, hint.load(std::memory_order_relaxed));
  append(message, sizeof message - 1, &used, "\n");
  write_all(message, used);
  // abort() must end the process here: an SIGABRT handler of the
  // application's (Node's, say) would run on this small stack and return.
  struct sigaction default_action;
  std::memset(&default_action, 0, sizeof default_action);
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(SIGABRT, &default_action, nullptr);
  sigset_t abort_only;
  sigemptyset(&abort_only);
  sigaddset(&abort_only, SIGABRT);
  pthread_sigmask(SIG_UNBLOCK, &abort_only, nullptr);
  abort();
}

// Hands a fault that is not ours to whoever was there before.
inline void chain(int signal, siginfo_t* info, void* context) noexcept {
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(signal, info, context);
    return;
  }
  if (previous.sa_handler == SIG_DFL || previous.sa_handler == SIG_IGN) {
    // The default action, as if we had never been here: returning runs the
    // faulting instruction again, and the fault kills the process. (SIGSEGV
    // from a fault cannot be ignored.) A SIGSEGV sent with kill() does not
    // come back by itself, so it is raised again; it stays blocked until
    // this handler returns.
    struct sigaction default_action;
    std::memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(signal, &default_action, nullptr);
    if (info == nullptr || info->si_code <= 0) raise(signal);
    return;
  }
  previous.sa_handler(signal);
}

inline void handle_segv(int signal, siginfo_t* info, void* context) noexcept {
  // si_code > 0: raised by the kernel for a fault, so si_addr is the address.
  if (info != nullptr && info->si_code > 0) {
    const std::size_t size =
        guard_pages::find(reinterpret_cast<std::uintptr_t>(info->si_addr), page.load(std::memory_order_relaxed));
    if (size != 0) report_and_abort(size);
  }
  chain(signal, info, context);
}

// The alternate stack this header gave the thread; unmapped when the thread
// exits (worker threads come and go).
struct AltStack {
  void* mapping = nullptr;
  std::size_t mapping_size = 0;
  ~AltStack() {
    if (mapping == nullptr) return;
    stack_t current;
    if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == static_cast<char*>(mapping) + page_size()) {
      if (current.ss_flags & SS_ONSTACK) return;  // cannot happen at thread exit; keep it mapped then
      stack_t off;
      std::memset(&off, 0, sizeof off);
      off.ss_flags = SS_DISABLE;
      if (sigaltstack(&off, nullptr) != 0) return;
    }
    munmap(mapping, mapping_size);
    mapping = nullptr;
  }
};

}  // namespace overflow_detail

/// Gives the calling thread an alternate signal stack unless it has one, so
/// that the overflow handler can run when a generator on this thread
/// overflows. Returns false if the thread has none and one could not be
/// mapped or installed. Cheap after the first call on a thread.
inline bool EnsureOverflowAltStack() noexcept {
  thread_local overflow_detail::AltStack owned;
  if (owned.mapping != nullptr) return true;
  stack_t current;
  if (sigaltstack(nullptr, &current) != 0) return false;
  if (!(current.ss_flags & SS_DISABLE)) return true;  // someone else's: never replaced
  const std::size_t guard = page_size();
  const std::size_t size = kOverflowAltStackSize + guard;
  void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) return false;
  // A guard page below it: a handler that overflows the alternate stack
  // faults (and the process dies) instead of writing over other memory.
  if (mprotect(mapping, guard, PROT_NONE) != 0) {
    munmap(mapping, size);
    return false;
  }
  stack_t alt;
  std::memset(&alt, 0, sizeof alt);
  alt.ss_sp = static_cast<char*>(mapping) + guard;
  alt.ss_size = kOverflowAltStackSize;
  if (sigaltstack(&alt, nullptr) != 0) {
    munmap(mapping, size);
    return false;
  }
  owned.mapping = mapping;
  owned.mapping_size = size;
  return true;
}

/// Installs the stack-overflow handler for SIGSEGV, once per process (later
/// calls only update the hint), and an alternate signal stack on the calling
/// thread (see EnsureOverflowAltStack for other threads). `hint`, a string
/// that lives forever, is the second line of the report: how to give a
/// generator more stack in the caller's API. Returns false if the handler
/// or the alternate stack could not be installed.
inline bool InstallOverflowHandler(const char* hint = nullptr) noexcept {
  if (hint != nullptr) overflow_detail::hint.store(hint, std::memory_order_relaxed);
  static const bool installed = [] {
    overflow_detail::page.store(page_size(), std::memory_order_relaxed);
    // The previous action is read before ours goes in, so that the handler
    // never sees it half-written.
    if (sigaction(SIGSEGV, nullptr, &overflow_detail::previous) != 0) return false;
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = &overflow_detail::handle_segv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGSEGV, &action, nullptr) == 0;
  }();
  const bool alt_stack = EnsureOverflowAltStack();
  return installed && alt_stack;
}

/// Whether this header's handler is the process's SIGSEGV action now.
inline bool OverflowHandlerInstalled() noexcept {
  struct sigaction current;
  if (sigaction(SIGSEGV, nullptr, &current) != 0) return false;
  return (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == &overflow_detail::handle_segv;
}

}  // namespace fringe

#endif  // FRINGE_OVERFLOW_HPP
