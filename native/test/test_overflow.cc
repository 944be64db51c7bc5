// The stack-overflow report: the registry of guard pages, the SIGSEGV
// handler (which claims faults in guard pages only and passes every other
// one on), and the alternate signal stacks it runs on.

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "processes.hpp"
#include "fringe/generator.hpp"
#include "fringe/overflow.hpp"

namespace {

const std::size_t kPage = fringe::page_size();

using check::ChildEnd;
using check::exited_zero;
using check::in_child;
using check::is_mapped;
using check::killed_by;
using check::recurse_forever;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string report_for(std::size_t size) {
  return "fringe: stack overflow in a generator (stack of " + std::to_string(size) + " bytes)\n";
}

void overflow_a_generator(std::size_t stack_size) {
  fringe::Generator<int, int> gen(fringe::OsStack(stack_size),
                                  [](fringe::Yielder<int, int>&, int) { recurse_forever(0); });
  gen.resume(0);
}

// A PROT_NONE page that belongs to no stack.
volatile char* unrelated_protected_page() {
  void* page = mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return page == MAP_FAILED ? nullptr : static_cast<volatile char*>(page);
}

std::uintptr_t address(void* p) { return reinterpret_cast<std::uintptr_t>(p); }

}  // namespace

// --- The registry --------------------------------------------------------------

TEST(guard_pages_registered_while_stack_lives) {
  void* guard;
  {
    fringe::OsStack stack(5 * kPage);
    guard = stack.guard();
    CHECK(fringe::guard_pages::find(address(guard), kPage) == 5 * kPage);
    CHECK(fringe::guard_pages::find(address(guard) + kPage - 1, kPage) == 5 * kPage);
    // The stack itself and the page below the guard are not guard pages.
    CHECK(fringe::guard_pages::find(address(stack.limit()), kPage) == 0);
    CHECK(fringe::guard_pages::find(address(guard) - 1, kPage) == 0);
    fringe::OsStack moved(std::move(stack));
    CHECK(fringe::guard_pages::find(address(guard), kPage) == 5 * kPage);
    fringe::OsStack assigned;
    assigned = std::move(moved);
    CHECK(fringe::guard_pages::find(address(guard), kPage) == 5 * kPage);
  }
  CHECK(fringe::guard_pages::find(address(guard), kPage) == 0);
  fringe::OsStack released(kPage);
  void* released_guard = released.guard();
  released.release();
  CHECK(fringe::guard_pages::find(address(released_guard), kPage) == 0);
}

TEST(guard_pages_many_stacks_each_found) {
  std::vector<fringe::OsStack> stacks;
  for (int i = 0; i < 500; i++) stacks.emplace_back((1 + i % 7) * kPage);
  // Free every third one, then map more: slots are reused.
  for (std::size_t i = 0; i < stacks.size(); i += 3) stacks[i].release();
  for (int i = 0; i < 200; i++) stacks.emplace_back(3 * kPage);
  for (auto& stack : stacks) {
    if (stack) CHECK(fringe::guard_pages::find(address(stack.guard()), kPage) == stack.size());
  }
}

TEST(guard_pages_full_registry_refuses_and_recovers) {
  // Fill the registry with pages of a reservation of our own, where no
  // stack can be.
  const std::size_t span = (fringe::kGuardPageCapacity + 1) * kPage;
  void* reserved = mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(reserved != MAP_FAILED);
  std::vector<long> taken;
  long slot;
  while ((slot = fringe::guard_pages::add(static_cast<char*>(reserved) + taken.size() * kPage, 1)) >= 0) {
    taken.push_back(slot);
  }
  CHECK(taken.size() <= fringe::kGuardPageCapacity);
  CHECK(taken.size() + 10 > fringe::kGuardPageCapacity);  // the other tests' stacks are gone by now
  {
    fringe::OsStack unregistered(kPage);  // still works; its overflow would be a plain SIGSEGV
    CHECK(fringe::guard_pages::find(address(unregistered.guard()), kPage) == 0);
  }
  for (long s : taken) fringe::guard_pages::remove(s);
  fringe::OsStack registered(kPage);
  CHECK(fringe::guard_pages::find(address(registered.guard()), kPage) == kPage);
  CHECK(fringe::guard_pages::find(address(reserved), kPage) == 0);
  munmap(reserved, span);
}

// --- The handler ---------------------------------------------------------------

TEST(overflow_in_generator_is_reported_then_aborts) {
  for (std::size_t size : {16 * kPage, 40 * kPage + 1}) {
    const std::size_t usable = fringe::OsStack::usable_size_for(size);
    ChildEnd end = in_child([size] {
      fringe::InstallOverflowHandler();
      overflow_a_generator(size);
    });
    CHECK(killed_by(end.status, SIGABRT));
    CHECK(contains(end.stderr_text, report_for(usable)));
    CHECK(contains(end.stderr_text, "fringe: give the generator a larger stack: the size passed to fringe::OsStack"));
  }
}

TEST(overflow_report_carries_the_installers_hint) {
  ChildEnd end = in_child([] {
    fringe::InstallOverflowHandler("use a bigger stack, please");
    overflow_a_generator(8 * kPage);
  });
  CHECK(killed_by(end.status, SIGABRT));
  CHECK(contains(end.stderr_text, report_for(8 * kPage) + "fringe: use a bigger stack, please\n"));
}

TEST(overflow_without_handler_is_a_plain_segfault) {
  ChildEnd end = in_child([] { overflow_a_generator(16 * kPage); });
  CHECK(killed_by(end.status, SIGSEGV));
  CHECK(!contains(end.stderr_text, "fringe:"));
}

TEST(overflow_abort_ignores_an_abort_handler) {
  ChildEnd end = in_child([] {
    signal(SIGABRT, [](int) { write(STDERR_FILENO, "caught SIGABRT\n", 15); });
    fringe::InstallOverflowHandler();
    overflow_a_generator(16 * kPage);
  });
  CHECK(killed_by(end.status, SIGABRT));
  CHECK(!contains(end.stderr_text, "caught SIGABRT"));
  CHECK(contains(end.stderr_text, report_for(16 * kPage)));
}

TEST(overflow_on_another_thread_with_its_own_alt_stack) {
  ChildEnd end = in_child([] {
    fringe::InstallOverflowHandler();
    std::thread([] {
      if (!fringe::EnsureOverflowAltStack()) _exit(3);
      overflow_a_generator(24 * kPage);
    }).join();
  });
  CHECK(killed_by(end.status, SIGABRT));
  CHECK(contains(end.stderr_text, report_for(24 * kPage)));
}

TEST(overflow_handler_leaves_other_faults_alone) {
  // A write to a PROT_NONE page that is no stack's guard page, and to null:
  // the default action, unchanged.
  ChildEnd end = in_child([] {
    fringe::InstallOverflowHandler();
    fringe::OsStack live(4 * kPage);  // registered, but not where the fault is
    volatile char* page = unrelated_protected_page();
    if (page == nullptr) _exit(3);
    page[0] = 1;
  });
  CHECK(killed_by(end.status, SIGSEGV));
  CHECK(!contains(end.stderr_text, "fringe:"));
  end = in_child([] {
    fringe::InstallOverflowHandler();
    *static_cast<volatile int*>(nullptr) = 1;
  });
  CHECK(killed_by(end.status, SIGSEGV));
  CHECK(!contains(end.stderr_text, "fringe:"));
  // The thread's own stack running out is not a generator's overflow.
  end = in_child([] {
    fringe::InstallOverflowHandler();
    recurse_forever(0);
  });
  CHECK(killed_by(end.status, SIGSEGV));
  CHECK(!contains(end.stderr_text, "fringe:"));
}

namespace {
volatile char* volatile fixable_page = nullptr;
void* volatile seen_address = nullptr;
// A previous handler that repairs the fault, as V8's WebAssembly trap handler
// does in its own way: the program then goes on.
void repairing_handler(int, siginfo_t* info, void*) {
  seen_address = info->si_addr;
  mprotect(const_cast<char*>(fixable_page), kPage, PROT_READ | PROT_WRITE);
}
void repairing_plain_handler(int) { mprotect(const_cast<char*>(fixable_page), kPage, PROT_READ | PROT_WRITE); }
}  // namespace

TEST(overflow_handler_chains_to_the_previous_handler) {
  ChildEnd end = in_child([] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = repairing_handler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, nullptr);
    fringe::InstallOverflowHandler();
    if (!fringe::OverflowHandlerInstalled()) _exit(4);
    fixable_page = unrelated_protected_page();
    fixable_page[0] = 42;
    if (fixable_page[0] != 42 || seen_address != const_cast<char*>(fixable_page)) _exit(5);
    // Still in place for the next fault, and still reporting overflows.
    overflow_a_generator(16 * kPage);
  });
  CHECK(killed_by(end.status, SIGABRT));
  CHECK(contains(end.stderr_text, report_for(16 * kPage)));
  end = in_child([] {
    signal(SIGSEGV, repairing_plain_handler);
    fringe::InstallOverflowHandler();
    fixable_page = unrelated_protected_page();
    fixable_page[0] = 7;
    if (fixable_page[0] != 7) _exit(5);
  });
  CHECK(exited_zero(end.status));
}

// Under valgrind too: installing, chaining a SIGSEGV that is no fault (sent
// with raise), and the alternate stacks.
TEST(overflow_handler_install_is_idempotent_and_chains_raised_signals) {
  ChildEnd end = in_child([] {
    static volatile sig_atomic_t calls = 0;
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = [](int, siginfo_t*, void*) { calls = calls + 1; };
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, nullptr);
    if (fringe::OverflowHandlerInstalled()) _exit(3);
    if (!fringe::InstallOverflowHandler() || !fringe::InstallOverflowHandler("other hint")) _exit(4);
    if (!fringe::OverflowHandlerInstalled()) _exit(5);
    raise(SIGSEGV);
    if (calls != 1) _exit(6);
    _exit(0);
  });
  CHECK(exited_zero(end.status));
  CHECK(end.stderr_text.empty());
}

TEST(overflow_alt_stack_is_kept_when_present_and_freed_at_thread_exit) {
  ChildEnd end = in_child([] {
    // A thread with an alternate stack of its own keeps it.
    std::thread([] {
      static char own[64 * 1024];
      stack_t alt;
      std::memset(&alt, 0, sizeof alt);
      alt.ss_sp = own;
      alt.ss_size = sizeof own;
      if (sigaltstack(&alt, nullptr) != 0) _exit(3);
      if (!fringe::EnsureOverflowAltStack()) _exit(4);
      stack_t now;
      sigaltstack(nullptr, &now);
      if (now.ss_sp != own) _exit(5);
      alt.ss_flags = SS_DISABLE;
      sigaltstack(&alt, nullptr);
    }).join();
    // A thread without one gets one, unmapped when the thread ends.
    void* given = nullptr;
    std::thread([&given] {
      if (!fringe::EnsureOverflowAltStack() || !fringe::EnsureOverflowAltStack()) _exit(6);
      stack_t now;
      sigaltstack(nullptr, &now);
      if ((now.ss_flags & SS_DISABLE) || now.ss_size != fringe::kOverflowAltStackSize) _exit(7);
      given = now.ss_sp;
      if (!is_mapped(given)) _exit(8);
    }).join();
    if (given == nullptr || is_mapped(given)) _exit(9);
    _exit(0);
  });
  CHECK(exited_zero(end.status));
}
