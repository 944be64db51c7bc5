// The guard pages of all live OsStacks, for the stack-overflow handler.
//
// A SIGSEGV handler (overflow.hpp) must decide from the faulting address
// alone whether a generator ran off its stack, and it may only do
// async-signal-safe things: no locks, no allocation. So the registry is a
// fixed array of slots read and written with atomics:
//
//   slot.guard   0 (free), kClaimed (being filled in), or the address of
//                the guard page, page-aligned
//   slot.size    the stack's usable bytes, for the overflow message
//
// OsStack registers its guard page once per mapping (in allocate()) and
// unregisters it before unmapping: a pooled stack that runs generator after
// generator costs nothing here. Registering is a compare-and-swap on a slot
// found from a hint (usually the slot freed last, or the one after the last
// claimed), so creating stacks stays cheap while many are live.
//
// Stacks beyond the capacity (kGuardPageCapacity, 2^20 on 64-bit: with guard regions,
// stacks are bounded by memory rather than by vm.max_map_count, and a million
// suspended generators is already ~6 GiB) are not registered: an overflow
// there is reported as the plain SIGSEGV it would be without the handler.
// The array (16 MiB of address space) is zero-initialized static storage:
// pages of it are committed only as slots are used.

#ifndef FRINGE_GUARD_PAGES_HPP
#define FRINGE_GUARD_PAGES_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>

#ifndef FRINGE_GUARD_PAGE_CAPACITY
// 2^20 on 64-bit; 2^16 where the address space (4 GiB) holds fewer stacks.
#define FRINGE_GUARD_PAGE_CAPACITY (sizeof(void*) >= 8 ? (1 << 20) : (1 << 16))
#endif

namespace fringe {

constexpr std::size_t kGuardPageCapacity = FRINGE_GUARD_PAGE_CAPACITY;

namespace guard_pages {

struct Slot {
  std::atomic<std::uintptr_t> guard;
  std::atomic<std::size_t> size;
};

constexpr std::uintptr_t kFree = 0;
constexpr std::uintptr_t kClaimed = 1;

// Zero-initialized (static storage), so usable before any constructor runs.
inline Slot slots[kGuardPageCapacity];
// One past the highest slot ever claimed: the handler scans no further.
inline std::atomic<std::size_t> high_water{0};
// Where the next registration starts looking.
inline std::atomic<std::size_t> hint{0};

/// Records the guard page [guard, guard + page) of a stack of `size` usable
/// bytes. Returns the slot, or -1 when the registry is full.
inline long add(void* guard, std::size_t size) noexcept {
  const std::size_t start = hint.load(std::memory_order_relaxed);
  for (std::size_t n = 0; n < kGuardPageCapacity; n++) {
    std::size_t i = start + n;
    if (i >= kGuardPageCapacity) i -= kGuardPageCapacity;
    Slot& slot = slots[i];
    std::uintptr_t expected = kFree;
    if (slot.guard.load(std::memory_order_relaxed) != kFree ||
        !slot.guard.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
      continue;
    }
    slot.size.store(size, std::memory_order_relaxed);
    // Published last: a reader that sees the address sees the size.
    slot.guard.store(reinterpret_cast<std::uintptr_t>(guard), std::memory_order_release);
    std::size_t seen = high_water.load(std::memory_order_relaxed);
    while (seen < i + 1 && !high_water.compare_exchange_weak(seen, i + 1, std::memory_order_release,
                                                              std::memory_order_relaxed)) {
    }
    hint.store(i + 1 == kGuardPageCapacity ? 0 : i + 1, std::memory_order_relaxed);
    return static_cast<long>(i);
  }
  return -1;
}

/// Forgets what add() returned (nothing for -1). Call before unmapping.
inline void remove(long index) noexcept {
  if (index < 0) return;
  slots[index].guard.store(kFree, std::memory_order_release);
  hint.store(static_cast<std::size_t>(index), std::memory_order_relaxed);
}

/// The usable size of the stack whose guard page contains `address`, or 0
/// if no registered guard page does. Async-signal-safe.
inline std::size_t find(std::uintptr_t address, std::size_t page) noexcept {
  const std::size_t end = high_water.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < end; i++) {
    const std::uintptr_t guard = slots[i].guard.load(std::memory_order_acquire);
    if (guard <= kClaimed || address < guard || address - guard >= page) continue;
    const std::size_t size = slots[i].size.load(std::memory_order_relaxed);
    // A slot reused meanwhile would have changed its address first.
    if (slots[i].guard.load(std::memory_order_acquire) == guard) return size;
  }
  return 0;
}

}  // namespace guard_pages
}  // namespace fringe

#endif  // FRINGE_GUARD_PAGES_HPP
