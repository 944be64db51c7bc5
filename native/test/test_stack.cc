// Stacks: sizes, the guard page, unmapping, mapping failures.

#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "processes.hpp"
#include "fringe/generator.hpp"
#include "fringe/stack.hpp"

namespace {

const std::size_t kPage = fringe::page_size();

using check::is_mapped;
using check::killed_by;
using check::recurse_forever;

// The wait status of `body` run in a child process.
template <class F>
int in_child(F body) {
  return check::in_child(body).status;
}

}  // namespace

// Sizes follow the page size the kernel reports (4, 16 or 64 KiB on arm64),
// never 4096. FRINGE_EXPECT_PAGE_SIZE is set by the run under qemu -p 65536,
// to show that that run really had 64 KiB pages.
TEST(stack_page_size_is_the_systems) {
  CHECK(kPage == static_cast<std::size_t>(getauxval(AT_PAGESZ)));
  if (const char* expected = std::getenv("FRINGE_EXPECT_PAGE_SIZE")) {
    CHECK(kPage == std::strtoul(expected, nullptr, 10));
  }
  fringe::OsStack stack(1);
  CHECK(stack.size() == kPage);
  CHECK(static_cast<char*>(stack.limit()) - static_cast<char*>(stack.guard()) ==
        static_cast<std::ptrdiff_t>(kPage));
  CHECK(reinterpret_cast<std::uintptr_t>(stack.guard()) % kPage == 0);
}

TEST(stack_size_zero_is_one_page) {
  fringe::OsStack stack(0);
  CHECK(stack.size() == kPage);
  CHECK(static_cast<char*>(stack.base()) - static_cast<char*>(stack.limit()) ==
        static_cast<std::ptrdiff_t>(kPage));
}

TEST(stack_size_one_page) {
  fringe::OsStack stack(kPage);
  CHECK(stack.size() == kPage);
}

TEST(stack_size_unaligned_rounds_up_to_pages) {
  fringe::OsStack a(kPage + 1);
  CHECK(a.size() == 2 * kPage);
  fringe::OsStack b(5000);
  CHECK(b.size() % kPage == 0);
  CHECK(b.size() >= 5000);
  CHECK(reinterpret_cast<std::uintptr_t>(b.base()) % fringe::kStackAlignment == 0);
}

TEST(stack_size_default) {
  fringe::OsStack stack(fringe::kDefaultStackSize);
  CHECK(stack.size() == fringe::kDefaultStackSize);
  // Committed lazily: the whole range is usable.
  static_cast<char*>(stack.base())[-1] = 1;
  static_cast<char*>(stack.limit())[0] = 1;
}

TEST(stack_size_overflow_is_an_error) {
  std::error_code error;
  fringe::OsStack a = fringe::OsStack::allocate(SIZE_MAX, error);
  CHECK(!a);
  CHECK(error.value() == EOVERFLOW);
  fringe::OsStack b = fringe::OsStack::allocate(SIZE_MAX - kPage + 1, error);
  CHECK(!b);
  CHECK(error.value() == EOVERFLOW);
}

TEST(stack_mapping_failure_carries_errno_text) {
  // Larger than any x86 address space, small enough not to overflow.
  const std::size_t huge = std::size_t{1} << (sizeof(void*) == 8 ? 60 : 31);
  bool threw = false;
  try {
    fringe::OsStack stack(huge);
    if (sizeof(void*) == 4) threw = true;  // 2 GiB may fit on i386; nothing to check
  } catch (const std::system_error& e) {
    threw = true;
    CHECK(e.code().value() == ENOMEM);
    CHECK(std::string(e.what()).find(std::strerror(ENOMEM)) != std::string::npos);
  }
  CHECK(threw);
}

TEST(stack_guard_page_sits_below_limit) {
  fringe::OsStack stack(4 * kPage);
  CHECK(static_cast<char*>(stack.guard()) + kPage == stack.limit());
  // Touching the first usable byte and the last one is fine...
  int status = in_child([&] {
    static_cast<volatile char*>(stack.limit())[0] = 1;
    static_cast<volatile char*>(stack.base())[-1] = 1;
  });
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // ...one byte below the limit faults.
  status = in_child([&] { static_cast<volatile char*>(stack.limit())[-1] = 1; });
  CHECK(killed_by(status, SIGSEGV));
  status = in_child([&] { (void)static_cast<volatile char*>(stack.guard())[0]; });
  CHECK(killed_by(status, SIGSEGV));
}


TEST(stack_overflow_in_generator_hits_guard_page) {
  int status = in_child([] {
    fringe::Generator<int, int> gen(fringe::OsStack(16 * kPage),
                                    [](fringe::Yielder<int, int>&, int) { recurse_forever(0); });
    gen.resume(0);
  });
  CHECK(killed_by(status, SIGSEGV));
}

TEST(stack_unmapped_exactly_once) {
  void* limit = nullptr;
  void* other = MAP_FAILED;
  {
    fringe::OsStack stack(2 * kPage);
    limit = stack.limit();
    void* guard = stack.guard();
    CHECK(is_mapped(limit));
    CHECK(is_mapped(guard));
    fringe::OsStack moved(std::move(stack));
    CHECK(!stack);
    CHECK(moved.limit() == limit);
    CHECK(is_mapped(limit));  // the move did not unmap it
    moved.release();
    CHECK(!is_mapped(limit));
    CHECK(!is_mapped(guard));
    moved.release();  // idempotent
    // Something else takes the address; neither destructor may unmap it.
    other = mmap(limit, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    REQUIRE(other == limit);
  }
  CHECK(is_mapped(other));
  munmap(other, kPage);
}

// With mprotect guards each stack is two kernel mappings and vm.max_map_count
// bounds them (with guard regions, see below, it does not).
// Exhaustion must be an error, and freeing stacks must make room again.
TEST(stack_map_count_exhaustion_is_an_error) {
  int status = in_child([] {
    std::vector<fringe::OsStack> stacks;
    std::error_code error;
    for (;;) {
      fringe::OsStack stack = fringe::OsStack::allocate(kPage, error);
      if (error) break;
      stacks.push_back(std::move(stack));
      // With guard regions a stack is one mapping, and the kernel merges
      // neighbours: vm.max_map_count no longer bounds them (the point of
      // guard regions). 200 000 is past what two mappings each would allow.
      if (fringe::guard_method() == fringe::GuardMethod::kGuardRegion && stacks.size() >= 200000) _exit(0);
      if (stacks.size() > 1000000) _exit(10);  // no limit reached: not Linux-like
    }
    if (error.value() != ENOMEM) _exit(11);
    if (stacks.size() < 1000) _exit(12);
    stacks.resize(stacks.size() / 2);
    fringe::OsStack again = fringe::OsStack::allocate(kPage, error);
    if (error || !again) _exit(13);
    _exit(0);
  });
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST(owned_stack) {
  fringe::OwnedStack stack(16 * 1024);
  CHECK(reinterpret_cast<std::uintptr_t>(stack.base()) % fringe::kStackAlignment == 0);
  fringe::Generator<int, int, fringe::OwnedStack> gen(
      fringe::Generator<int, int, fringe::OwnedStack>::unguarded_stack, std::move(stack),
      [](fringe::Yielder<int, int>& yielder, int x) {
        for (;;) x = yielder.suspend(x * 2);
      });
  CHECK(*gen.resume(21) == 42);
  CHECK(*gen.resume(5) == 10);
}

TEST(slice_stack) {
  alignas(16) static char memory[16 * 1024 + 7];
  fringe::SliceStack stack(memory + 3, sizeof(memory) - 3);
  CHECK(reinterpret_cast<std::uintptr_t>(stack.base()) % fringe::kStackAlignment == 0);
  CHECK(reinterpret_cast<std::uintptr_t>(stack.limit()) % fringe::kStackAlignment == 0);
  CHECK(static_cast<char*>(stack.limit()) >= memory + 3);
  CHECK(static_cast<char*>(stack.base()) <= memory + sizeof(memory));
  fringe::Generator<int, int, fringe::SliceStack> gen(
      fringe::Generator<int, int, fringe::SliceStack>::unguarded_stack, std::move(stack),
      [](fringe::Yielder<int, int>& yielder, int x) { yielder.suspend(x + 1); });
  CHECK(*gen.resume(1) == 2);
  CHECK(!gen.resume(0).has_value());
}
