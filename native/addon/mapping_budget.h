// The addon's stacks, and keeping their mappings from exhausting
// vm.max_map_count.
//
// Linux limits a process to vm.max_map_count mappings (65530 by default).
// Let stacks take them all and the next mmap anywhere fails: V8 allocating a
// zone or a heap page aborts the whole process. So stacks may only use the
// limit minus what the rest of the process has, with room to spare; past
// that, allocating a stack fails with ENOMEM and a message that names the
// limit, and the process goes on.
//
// What a stack costs in mappings depends on the guard method (stack.hpp):
//
//   mprotect      each stack is an OsStack of its own: two mappings (the
//                 PROT_NONE guard page splits it), so about 30 000 stacks fit
//                 under the default limit.
//   guard region  stacks of up to kCarvedMaximum bytes are carved out of
//                 chunks: one read/write mapping of up to kSlotsPerChunk
//                 stacks, each with a MADV_GUARD_INSTALL guard page below it.
//                 One mapping per chunk, so the limit stops mattering (200 000
//                 default-size stacks take ~3 200 mappings); memory is what
//                 bounds them. Carving also makes a fresh stack cheap: no
//                 mmap, and the guard of a slot is installed once and survives
//                 the MADV_DONTNEED that gives a freed slot's pages back.
//                 Larger stacks are OsStacks of one mapping each.

#ifndef FRINGE_ADDON_MAPPING_BUDGET_H
#define FRINGE_ADDON_MAPPING_BUDGET_H

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

#include "fringe/stack.hpp"

namespace fringe {

struct StackChunk;  // mapping_budget.cc

/// A guarded stack counted against the budget while it is mapped: an
/// OsStack of its own, or a slot carved out of a chunk.
class BudgetedStack {
 public:
  /// Stacks up to this many usable bytes are carved out of chunks (guard
  /// regions only).
  static constexpr std::size_t kCarvedMaximum = std::size_t{8} << 20;
  /// At most this many stacks per chunk, and chunks of at most ~64 MiB.
  static constexpr std::size_t kSlotsPerChunk = 64;

  BudgetedStack() = default;
  /// A stack, unless the budget or the mapping fails: then it is empty,
  /// `error` is set and `message` says why.
  static BudgetedStack Allocate(std::size_t size, std::error_code& error, std::string* message);

  BudgetedStack(BudgetedStack&& other) noexcept { *this = std::move(other); }
  BudgetedStack& operator=(BudgetedStack&& other) noexcept {
    if (this != &other) {
      release();
      own_ = std::move(other.own_);
      chunk_ = std::exchange(other.chunk_, nullptr);
      slot_ = other.slot_;
      limit_ = std::exchange(other.limit_, nullptr);
      size_ = std::exchange(other.size_, 0);
      guard_slot_ = std::exchange(other.guard_slot_, -1);
      valgrind_ = std::move(other.valgrind_);
    }
    return *this;
  }
  BudgetedStack(const BudgetedStack&) = delete;
  BudgetedStack& operator=(const BudgetedStack&) = delete;
  ~BudgetedStack() { release(); }

  explicit operator bool() const { return chunk_ != nullptr || static_cast<bool>(own_); }
  void* base() const { return chunk_ != nullptr ? static_cast<char*>(limit_) + size_ : own_.base(); }
  void* limit() const { return chunk_ != nullptr ? limit_ : own_.limit(); }
  std::size_t size() const { return chunk_ != nullptr ? size_ : own_.size(); }
  /// Whether it was carved out of a chunk.
  bool carved() const { return chunk_ != nullptr; }
  /// Unmaps now (or gives a carved slot back); idempotent.
  void release();
  /// Gives back many stacks at once (a runtime's teardown; a reap, see
  /// Runtime::StackReleaseBatch), leaving each empty. A chunk they leave
  /// empty is unmapped as a whole, without first giving back each slot's
  /// pages (MADV_DONTNEED, and its TLB shootdown, per slot: most of the time
  /// of a teardown with many generators suspended); the other slots' pages
  /// go in as few calls as the kernel takes.
  static void ReleaseMany(BudgetedStack* stacks, std::size_t count);

  /// Whether this kernel drops the pages of many ranges in one
  /// process_madvise (probed once; Linux 6.13+ unless seccomp refuses it).
  static bool batched_page_release();
  /// Process-wide, for tests: the system calls that gave carved slots'
  /// pages back (MADV_DONTNEED), and the slots they covered. Where the
  /// kernel takes many ranges in one process_madvise, ReleaseMany makes
  /// one call per 1 024 slots.
  static std::uint64_t page_release_calls();
  static std::uint64_t page_release_slots();
  /// Gives back the pages of `count` ranges of stacks, in as few system
  /// calls as the kernel takes (process_madvise where batched_page_release(),
  /// else a madvise each). Counted in page_release_calls/slots, a range as a slot.
  static void DropPages(const iovec* ranges, std::size_t count);

 private:
  /// Gives the slot back to its chunk once its pages are gone.
  void ReturnSlot();

  OsStack own_;
  StackChunk* chunk_ = nullptr;
  std::size_t slot_ = 0;
  void* limit_ = nullptr;
  std::size_t size_ = 0;
  long guard_slot_ = -1;  // in guard_pages, or -1
  ValgrindStackRegistration valgrind_;
};

class MappingBudget {
 public:
  /// Mappings left for the rest of the process (V8's heap pages, zones,
  /// malloc arenas, shared libraries) when stacks reach their share.
  static constexpr long kHeadroom = 4096;

  /// Reserves room for `mappings` more stack mappings, or returns false with
  /// `message` set.
  static bool Reserve(long mappings, std::string* message);
  /// Gives back what Reserve() took.
  static void Release(long mappings);
  /// Mappings the process has now (lines of /proc/self/maps).
  static long CountProcessMappings();
  static long Limit();
  /// Mappings held by stacks and chunks now.
  static long Held();
};

}  // namespace fringe

#endif  // FRINGE_ADDON_MAPPING_BUDGET_H
