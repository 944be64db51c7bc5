// Stacks for generators.
//
// A stack is the address range [limit, base): `base` is the highest address
// (stacks grow down) and is 16-byte aligned, `limit` the lowest usable byte.
// Any type with `void* base() const` and `void* limit() const` whose range
// stays put when the object is moved can carry a generator; three are here:
//
//   OsStack      anonymous mapping with a guard page just below `limit`:
//                running off the end faults instead of corrupting memory.
//                Pages are committed when first touched.
//   OwnedStack   heap memory, no guard page.
//   SliceStack   memory the caller owns, no guard page.
//
// How the guard page is made (guard_method()): where the kernel has
// MADV_GUARD_INSTALL (Linux 6.13+), the page is a guard region inside the
// stack's one read/write mapping -- a page-table marker that faults on any
// access and costs no kernel mapping. Elsewhere it is the classic PROT_NONE
// page made with mprotect, which splits the mapping in two: each stack then
// costs two of the process's vm.max_map_count mappings instead of one.
// Which one is decided once per process, by a probe (below); setting the
// environment variable FRINGE_STACK_GUARD=mprotect before the first stack is
// made forces the mprotect path (tests use it; so can a user who suspects
// the new path).
//
// An OsStack's guard page is also recorded in the registry of guard_pages.hpp,
// so that the overflow handler (overflow.hpp) can tell a generator's stack
// overflow from any other SIGSEGV.
//
// Every stack registers itself with Valgrind (when built with its headers)
// so that memcheck treats a switch as a stack change rather than as a huge
// stack-pointer jump.

#ifndef FRINGE_STACK_HPP
#define FRINGE_STACK_HPP

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include "guard_pages.hpp"

#if !defined(FRINGE_NO_VALGRIND) && defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define FRINGE_HAVE_VALGRIND 1
#endif
#endif
#ifndef FRINGE_HAVE_VALGRIND
#define FRINGE_HAVE_VALGRIND 0
#endif

namespace fringe {

constexpr std::size_t kStackAlignment = 16;
/// The size JavaScript generators get when none is given (committed lazily).
constexpr std::size_t kDefaultStackSize = std::size_t{1} << 20;

/// Tells Valgrind that [limit, base) is a stack, for as long as it lives.
/// Outside Valgrind the client request is a few no-op instructions.
class ValgrindStackRegistration {
 public:
  ValgrindStackRegistration() = default;
  ValgrindStackRegistration(void* limit, void* base) {
#if FRINGE_HAVE_VALGRIND
    id_ = VALGRIND_STACK_REGISTER(limit, base);
    registered_ = true;
#else
    (void)limit;
    (void)base;
#endif
  }
  ValgrindStackRegistration(ValgrindStackRegistration&& other) noexcept
      : id_(other.id_), registered_(std::exchange(other.registered_, false)) {}
  ValgrindStackRegistration& operator=(ValgrindStackRegistration&& other) noexcept {
    if (this != &other) {
      release();
      id_ = other.id_;
      registered_ = std::exchange(other.registered_, false);
    }
    return *this;
  }
  ~ValgrindStackRegistration() { release(); }

 private:
  void release() {
#if FRINGE_HAVE_VALGRIND
    if (registered_) VALGRIND_STACK_DEREGISTER(id_);
#endif
    registered_ = false;
  }
  unsigned id_ = 0;
  bool registered_ = false;
};

inline std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// Linux 6.13's guard regions; older headers lack the constants.
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif

/// How OsStacks make their guard pages.
enum class GuardMethod {
  kMprotect,     // a PROT_NONE page: a second kernel mapping per stack
  kGuardRegion,  // madvise(MADV_GUARD_INSTALL) inside the stack's mapping
};

namespace detail {
// Whether MADV_GUARD_INSTALL really guards. A return value of 0 is not
// proof: qemu-user (qemu 7.2 and others) treats unknown advice as a hint
// and returns 0 without doing anything. So the probe installs a guard on one
// page of a two-page mapping and has the kernel read both pages (write(2)
// to a pipe): the guard page must fail with EFAULT, the other must be read.
// Nothing here can fault. Older kernels answer EINVAL, seccomp filters may
// answer ENOSYS or EPERM: all mean "not available".
inline bool guard_regions_work() noexcept {
  if (const char* forced = std::getenv("FRINGE_STACK_GUARD")) {
    if (std::strcmp(forced, "mprotect") == 0) return false;
  }
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* probe = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (probe == MAP_FAILED) return false;
  bool works = false;
  static_cast<char*>(probe)[page] = 1;
  if (madvise(probe, page, MADV_GUARD_INSTALL) == 0) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      const ssize_t guarded = write(fds[1], probe, 1);
      const int guarded_error = errno;
      const ssize_t open = write(fds[1], static_cast<char*>(probe) + page, 1);
      works = guarded < 0 && guarded_error == EFAULT && open == 1;
      close(fds[0]);
      close(fds[1]);
    }
  }
  munmap(probe, 2 * page);
  return works;
}
}  // namespace detail

/// The guard method of this process, probed once (see the header comment).
inline GuardMethod guard_method() noexcept {
  static const GuardMethod method = detail::guard_regions_work() ? GuardMethod::kGuardRegion : GuardMethod::kMprotect;
  return method;
}

/// Kernel mappings an OsStack costs with the process's guard method.
inline int mappings_per_stack() noexcept { return guard_method() == GuardMethod::kGuardRegion ? 1 : 2; }

namespace detail {
[[noreturn]] inline void throw_system_error(int error, const std::string& what) {
#if defined(__cpp_exceptions)
  throw std::system_error(error, std::generic_category(), what);
#else
  (void)error;
  (void)what;
  __builtin_trap();
#endif
}
}  // namespace detail

/// A stack in its own anonymous mapping, with one guard page directly below
/// `limit` (a guard region or a PROT_NONE page: guard_method()). Touching
/// the guard page raises SIGSEGV.
class OsStack {
 public:
  static constexpr bool kGuarded = true;

  /// Usable bytes for a requested size: whole pages, and one page for 0.
  /// Returns 0 when the rounding overflows.
  static std::size_t usable_size_for(std::size_t requested) {
    const std::size_t page = page_size();
    if (requested == 0) return page;
    if (requested > SIZE_MAX - (page - 1)) return 0;
    return (requested + page - 1) & ~(page - 1);
  }

  /// Maps a stack of at least `size` bytes (see usable_size_for) plus its
  /// guard page. Sets `error` to the errno of the failed call (EOVERFLOW when
  /// the size arithmetic overflows) and returns an empty stack on failure.
  static OsStack allocate(std::size_t size, std::error_code& error) noexcept {
    error.clear();
    const std::size_t page = page_size();
    const std::size_t usable = usable_size_for(size);
    if (usable == 0 || usable > SIZE_MAX - page) {
      error = std::error_code(EOVERFLOW, std::generic_category());
      return OsStack();
    }
    const std::size_t total = usable + page;
    const bool region = guard_method() == GuardMethod::kGuardRegion;
    void* mapping = mmap(nullptr, total, region ? PROT_READ | PROT_WRITE : PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) {
      error = std::error_code(errno, std::generic_category());
      return OsStack();
    }
    // The object owns the mapping from here on, so a failed call unmaps.
    OsStack stack(mapping, total);
    if (region) {
      if (madvise(mapping, page, MADV_GUARD_INSTALL) != 0) {
        error = std::error_code(errno, std::generic_category());
        return OsStack();
      }
      stack.mappings_ = 1;
    } else if (mprotect(static_cast<char*>(mapping) + page, usable, PROT_READ | PROT_WRITE) != 0) {
      error = std::error_code(errno, std::generic_category());
      return OsStack();
    }
    stack.valgrind_ = ValgrindStackRegistration(stack.limit(), stack.base());
    stack.guard_slot_ = guard_pages::add(mapping, usable);
    return stack;
  }

  /// As allocate(), but throws std::system_error on failure.
  explicit OsStack(std::size_t size) {
    std::error_code error;
    *this = allocate(size, error);
    if (error) {
      detail::throw_system_error(error.value(), "fringe: cannot map a stack of " +
                                                    std::to_string(size) + " bytes");
    }
  }

  OsStack() = default;
  OsStack(OsStack&& other) noexcept
      : mapping_(std::exchange(other.mapping_, nullptr)),
        mapping_size_(std::exchange(other.mapping_size_, 0)),
        guard_slot_(std::exchange(other.guard_slot_, -1)),
        mappings_(other.mappings_),
        valgrind_(std::move(other.valgrind_)) {}
  OsStack& operator=(OsStack&& other) noexcept {
    if (this != &other) {
      unmap();
      mapping_ = std::exchange(other.mapping_, nullptr);
      mapping_size_ = std::exchange(other.mapping_size_, 0);
      guard_slot_ = std::exchange(other.guard_slot_, -1);
      mappings_ = other.mappings_;
      valgrind_ = std::move(other.valgrind_);
    }
    return *this;
  }
  OsStack(const OsStack&) = delete;
  OsStack& operator=(const OsStack&) = delete;
  ~OsStack() { unmap(); }

  explicit operator bool() const { return mapping_ != nullptr; }
  void* base() const { return static_cast<char*>(mapping_) + mapping_size_; }
  void* limit() const { return static_cast<char*>(mapping_) + page_size(); }
  std::size_t size() const { return mapping_ ? mapping_size_ - page_size() : 0; }
  /// The guard page: [guard(), limit()).
  void* guard() const { return mapping_; }
  /// Kernel mappings it takes: 1 with a guard region, 2 with a PROT_NONE page.
  int mappings() const { return mappings_; }

  /// Unmaps now (the destructor does it otherwise). Idempotent.
  void release() { unmap(); }

 private:
  OsStack(void* mapping, std::size_t size) : mapping_(mapping), mapping_size_(size) {}
  void unmap() {
    if (mapping_ == nullptr) return;
    valgrind_ = ValgrindStackRegistration();
    // Before the unmap: the address may be mapped again at once, by anyone.
    guard_pages::remove(std::exchange(guard_slot_, -1));
    munmap(mapping_, mapping_size_);
    mapping_ = nullptr;
    mapping_size_ = 0;
  }

  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  long guard_slot_ = -1;  // in guard_pages, or -1
  int mappings_ = 2;
  ValgrindStackRegistration valgrind_;
};

/// A stack on the heap, without a guard page: an overflow silently
/// corrupts whatever lies below it.
class OwnedStack {
 public:
  static constexpr bool kGuarded = false;

  explicit OwnedStack(std::size_t size)
      : size_((size + kStackAlignment - 1) & ~(kStackAlignment - 1)),
        memory_(static_cast<char*>(
            ::operator new(size_ == 0 ? kStackAlignment : size_, std::align_val_t(kStackAlignment)))),
        valgrind_(memory_, memory_ + size_) {}
  OwnedStack(OwnedStack&& other) noexcept
      : size_(std::exchange(other.size_, 0)),
        memory_(std::exchange(other.memory_, nullptr)),
        valgrind_(std::move(other.valgrind_)) {}
  OwnedStack& operator=(OwnedStack&& other) noexcept {
    if (this != &other) {
      free();
      size_ = std::exchange(other.size_, 0);
      memory_ = std::exchange(other.memory_, nullptr);
      valgrind_ = std::move(other.valgrind_);
    }
    return *this;
  }
  ~OwnedStack() { free(); }

  void* base() const { return memory_ + size_; }
  void* limit() const { return memory_; }
  std::size_t size() const { return size_; }

 private:
  void free() {
    valgrind_ = ValgrindStackRegistration();
    if (memory_ != nullptr) ::operator delete(memory_, std::align_val_t(kStackAlignment));
    memory_ = nullptr;
  }
  std::size_t size_;
  char* memory_;
  ValgrindStackRegistration valgrind_;
};

/// A stack in memory the caller owns and keeps alive longer than the
/// generator. The range is shrunk to 16-byte alignment at both ends.
class SliceStack {
 public:
  static constexpr bool kGuarded = false;

  SliceStack(void* memory, std::size_t size) {
    auto start = reinterpret_cast<std::uintptr_t>(memory);
    auto end = start + size;
    limit_ = reinterpret_cast<char*>((start + kStackAlignment - 1) & ~(kStackAlignment - 1));
    base_ = reinterpret_cast<char*>(end & ~(kStackAlignment - 1));
    if (base_ < limit_) base_ = limit_;
    valgrind_ = ValgrindStackRegistration(limit_, base_);
  }
  SliceStack(SliceStack&&) noexcept = default;
  SliceStack& operator=(SliceStack&&) noexcept = default;

  void* base() const { return base_; }
  void* limit() const { return limit_; }
  std::size_t size() const { return static_cast<std::size_t>(base_ - limit_); }

 private:
  char* limit_;
  char* base_;
  ValgrindStackRegistration valgrind_;
};

}  // namespace fringe

#endif  // FRINGE_STACK_HPP
