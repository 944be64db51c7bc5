// See mapping_budget.h.

#include "mapping_budget.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace fringe {

namespace {
std::atomic<long> mappings_held{0};
// What the process outside our stacks had at the last count; refreshed
// whenever stacks come near their share.
std::atomic<long> others_seen{-1};
}  // namespace

long MappingBudget::Limit() {
  static const long limit = [] {
    long value = 65530;
    if (std::FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
      if (std::fscanf(f, "%ld", &value) != 1) value = 65530;
      std::fclose(f);
    }
    return value;
  }();
  return limit;
}

long MappingBudget::Held() { return mappings_held.load(std::memory_order_relaxed); }

long MappingBudget::CountProcessMappings() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return -1;
  long lines = 0;
  int c;
  while ((c = std::getc(f)) != EOF) lines += c == '\n';
  std::fclose(f);
  return lines;
}

bool MappingBudget::Reserve(long mappings, std::string* message) {
  const long limit = Limit();
  long own = mappings_held.load(std::memory_order_relaxed) + mappings;
  long others = others_seen.load(std::memory_order_relaxed);
  if (others < 0 || own + others + kHeadroom > limit) {
    // Near the line (or the first time): count for real.
    long total = CountProcessMappings();
    if (total >= 0) {
      others = total - mappings_held.load(std::memory_order_relaxed);
      if (others < 0) others = 0;
      others_seen.store(others, std::memory_order_relaxed);
    }
    if (others >= 0 && own + others + kHeadroom > limit) {
      if (message) {
        *message = "the process is near vm.max_map_count (" + std::to_string(limit) + " mappings, and each stack takes " +
                   std::to_string(mappings_per_stack()) +
                   "): release stacks, let unused generators be collected, or raise vm.max_map_count";
      }
      return false;
    }
  }
  mappings_held.fetch_add(mappings, std::memory_order_relaxed);
  return true;
}

void MappingBudget::Release(long mappings) { mappings_held.fetch_sub(mappings, std::memory_order_relaxed); }

// --- Chunks of carved stacks (guard regions only) ---------------------------

struct StackChunk {
  char* mapping;
  std::size_t mapping_size;
  std::size_t usable;  // bytes of each stack
  std::size_t stride;  // guard page + usable
  std::size_t slots;
  std::uint64_t free;     // bit i: slot i is free
  std::uint64_t guarded;  // bit i: slot i's guard region is installed
  std::uint64_t all() const { return slots == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << slots) - 1; }
};

namespace {

static_assert(BudgetedStack::kSlotsPerChunk <= 64, "a chunk's slots are bits of a word");
constexpr std::size_t kChunkBytes = std::size_t{64} << 20;

// Chunks with a free slot, by stack size. Stacks are made and freed on every
// thread that runs generators (workers too), so under a lock; the system
// calls are made outside it.
std::mutex chunks_lock;
std::unordered_map<std::size_t, std::vector<StackChunk*>>& partial_chunks() {
  static auto* chunks = new std::unordered_map<std::size_t, std::vector<StackChunk*>>();
  return *chunks;
}

std::atomic<std::uint64_t> drop_calls{0};  // BudgetedStack::page_release_calls
std::atomic<std::uint64_t> drop_slots{0};

// Gives back the pages of many slots. Each MADV_DONTNEED that drops pages
// ends with a TLB shootdown: an interrupt to every other CPU the process
// has run on, and on a VM exits to the hypervisor. process_madvise takes up
// to 1 024 ranges per call (it accepts MADV_DONTNEED on the caller's own
// memory from Linux 6.13), and recent kernels flush once per call: on this
// VM's 6.18, a 1 MiB slot with one page touched took 19 us alone and 7-9 us
// in a call of 1 024. Where it does not work (batched_page_release: older
// kernels, qemu-user, seccomp), or a call stops part way, the rest go one
// madvise each: dropping a page twice is harmless. The pidfd is opened per
// call, not cached: after a fork a cached one would name the parent.
void DropRanges(const iovec* ranges, std::size_t count) {
  constexpr std::size_t kMaxRangesPerCall = 1024;  // UIO_MAXIOV
  std::size_t done = 0;
#if defined(SYS_pidfd_open) && defined(SYS_process_madvise)
  if (count > 1 && BudgetedStack::batched_page_release()) {
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
    if (pidfd >= 0) {
      while (done < count) {
        const std::size_t n = std::min(kMaxRangesPerCall, count - done);
        std::size_t bytes = 0;
        for (std::size_t i = done; i < done + n; i++) bytes += ranges[i].iov_len;
        const long advised = syscall(SYS_process_madvise, pidfd, &ranges[done], n, MADV_DONTNEED, 0);
        if (advised < 0 || static_cast<std::size_t>(advised) != bytes) break;
        drop_calls.fetch_add(1, std::memory_order_relaxed);
        drop_slots.fetch_add(n, std::memory_order_relaxed);
        done += n;
      }
      close(pidfd);
    }
  }
#endif
  for (; done < count; done++) {
    madvise(ranges[done].iov_base, ranges[done].iov_len, MADV_DONTNEED);
    drop_calls.fetch_add(1, std::memory_order_relaxed);
    drop_slots.fetch_add(1, std::memory_order_relaxed);
  }
}

StackChunk* MapChunk(std::size_t usable, std::error_code& error, std::string* message) {
  const std::size_t page = page_size();
  const std::size_t stride = usable + page;
  std::size_t slots = kChunkBytes / stride;
  if (slots < 1) slots = 1;
  if (slots > BudgetedStack::kSlotsPerChunk) slots = BudgetedStack::kSlotsPerChunk;
  if (!MappingBudget::Reserve(1, message)) {
    error = std::error_code(ENOMEM, std::generic_category());
    return nullptr;
  }
  const std::size_t size = slots * stride;
  void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
  if (mapping == MAP_FAILED) {
    error = std::error_code(errno, std::generic_category());
    if (message) *message = error.message();
    MappingBudget::Release(1);
    return nullptr;
  }
  // MAP_STACK implies this on the kernels that have guard regions; said
  // anyway: a huge page would make a shallow stack cost 2 MiB.
  madvise(mapping, size, MADV_NOHUGEPAGE);
  auto* chunk = new StackChunk{static_cast<char*>(mapping), size, usable, stride, slots, 0, 0};
  chunk->free = chunk->all();
  return chunk;
}

void UnmapChunk(StackChunk* chunk) {
  munmap(chunk->mapping, chunk->mapping_size);
  delete chunk;
  MappingBudget::Release(1);
}

}  // namespace

BudgetedStack BudgetedStack::Allocate(std::size_t size, std::error_code& error, std::string* message) {
  error.clear();
  BudgetedStack stack;
  const std::size_t usable = OsStack::usable_size_for(size);
  if (guard_method() != GuardMethod::kGuardRegion || usable == 0 || usable > kCarvedMaximum) {
    const long mappings = mappings_per_stack();
    if (!MappingBudget::Reserve(mappings, message)) {
      error = std::error_code(ENOMEM, std::generic_category());
      return stack;
    }
    stack.own_ = OsStack::allocate(size, error);
    if (error) {
      MappingBudget::Release(mappings);
      if (message) *message = error.message();
    }
    return stack;
  }

  StackChunk* chunk = nullptr;
  std::size_t slot = 0;
  bool guarded = false;
  {
    std::lock_guard<std::mutex> lock(chunks_lock);
    std::vector<StackChunk*>& partial = partial_chunks()[usable];
    if (partial.empty()) {
      StackChunk* fresh = MapChunk(usable, error, message);
      if (fresh == nullptr) return stack;
      partial.push_back(fresh);
    }
    chunk = partial.back();
    slot = static_cast<std::size_t>(__builtin_ctzll(chunk->free));
    chunk->free &= ~(std::uint64_t{1} << slot);
    guarded = (chunk->guarded & (std::uint64_t{1} << slot)) != 0;
    if (chunk->free == 0) partial.pop_back();
  }
  const std::size_t page = page_size();
  char* guard = chunk->mapping + slot * chunk->stride;
  stack.chunk_ = chunk;
  stack.slot_ = slot;
  stack.limit_ = guard + page;
  stack.size_ = usable;
  // The slot is ours alone now: its guard region is installed outside the
  // lock, and its bit set under it (the word is shared with other slots).
  if (!guarded) {
    if (madvise(guard, page, MADV_GUARD_INSTALL) != 0) {
      error = std::error_code(errno, std::generic_category());
      if (message) *message = "cannot install a guard region: " + error.message();
      stack.release();  // the slot goes back, unguarded
      return stack;
    }
    std::lock_guard<std::mutex> lock(chunks_lock);
    chunk->guarded |= std::uint64_t{1} << slot;
  }
  stack.valgrind_ = ValgrindStackRegistration(stack.limit(), stack.base());
  stack.guard_slot_ = guard_pages::add(guard, usable);
  return stack;
}

void BudgetedStack::release() {
  if (chunk_ == nullptr) {
    if (!own_) return;
    const long mappings = own_.mappings();
    own_.release();
    MappingBudget::Release(mappings);
    return;
  }
  // Gives the touched pages back; the guard region stays (MADV_DONTNEED
  // keeps guard markers), so a reused slot needs no new one.
  const iovec pages{limit_, size_};
  DropRanges(&pages, 1);
  ReturnSlot();
}

void BudgetedStack::ReturnSlot() {
  StackChunk* chunk = std::exchange(chunk_, nullptr);
  valgrind_ = ValgrindStackRegistration();
  // Before the bit is freed: the slot may be handed out again at once.
  guard_pages::remove(std::exchange(guard_slot_, -1));
  limit_ = nullptr;
  size_ = 0;
  std::lock_guard<std::mutex> lock(chunks_lock);
  std::vector<StackChunk*>& partial = partial_chunks()[chunk->usable];
  const bool was_full = chunk->free == 0;
  chunk->free |= std::uint64_t{1} << slot_;
  if (was_full) partial.push_back(chunk);
  if (chunk->free == chunk->all() && partial.size() > 1) {
    // Empty, and not the only chunk of its size with room: unmapped. (The
    // last one stays, so that creating and dropping one stack at a time does
    // not map and unmap a chunk each time.)
    for (std::size_t i = 0; i < partial.size(); i++) {
      if (partial[i] == chunk) {
        partial[i] = partial.back();
        partial.pop_back();
        break;
      }
    }
    UnmapChunk(chunk);
  }
}

void BudgetedStack::ReleaseMany(BudgetedStack* stacks, std::size_t count) {
  // The slots each chunk gives back here. A chunk whose other slots are all
  // free then has no user but this call: taken off the list of chunks with
  // room under the lock, nobody can carve from it, and it is unmapped
  // whole. Any other slot goes back one by one (release()): its pages are
  // given back before its bit is freed, since once freed another thread may
  // take it.
  std::unordered_map<StackChunk*, std::uint64_t> returned;
  for (std::size_t i = 0; i < count; i++) {
    if (stacks[i].chunk_ != nullptr) returned[stacks[i].chunk_] |= std::uint64_t{1} << stacks[i].slot_;
  }
  std::vector<StackChunk*> unmapped;
  {
    std::lock_guard<std::mutex> lock(chunks_lock);
    for (auto& [chunk, slots] : returned) {
      if ((chunk->free | slots) != chunk->all()) continue;
      std::vector<StackChunk*>& partial = partial_chunks()[chunk->usable];
      // As in release(): the last chunk of its size with room stays.
      const bool listed = chunk->free != 0;
      if (partial.size() <= (listed ? 1u : 0u)) continue;
      if (listed) {
        for (std::size_t i = 0; i < partial.size(); i++) {
          if (partial[i] == chunk) {
            partial[i] = partial.back();
            partial.pop_back();
            break;
          }
        }
      }
      unmapped.push_back(chunk);
    }
  }
  const std::unordered_set<StackChunk*> going(unmapped.begin(), unmapped.end());
  // The slots of chunks that stay: their pages go in as few calls as the
  // kernel allows, then the slots go back.
  std::vector<iovec> pages;
  for (std::size_t i = 0; i < count; i++) {
    BudgetedStack& stack = stacks[i];
    if (stack.chunk_ != nullptr && going.count(stack.chunk_) == 0) pages.push_back(iovec{stack.limit_, stack.size_});
  }
  DropRanges(pages.data(), pages.size());
  for (std::size_t i = 0; i < count; i++) {
    BudgetedStack& stack = stacks[i];
    if (stack.chunk_ == nullptr) {
      stack.release();  // an OsStack of its own: unmapped
      continue;
    }
    if (going.count(stack.chunk_) == 0) {
      stack.ReturnSlot();
      continue;
    }
    stack.chunk_ = nullptr;
    stack.valgrind_ = ValgrindStackRegistration();
    guard_pages::remove(std::exchange(stack.guard_slot_, -1));
    stack.limit_ = nullptr;
    stack.size_ = 0;
  }
  for (StackChunk* chunk : unmapped) UnmapChunk(chunk);
}

// Probed once: two touched pages of a scratch mapping dropped by one
// process_madvise must read back as zeros (a return value alone proves
// nothing where an emulator answers for the kernel).
// FRINGE_FAULT_INJECTION=process_madvise_refused makes it fail, so that
// tests can take the one-by-one path.
bool BudgetedStack::batched_page_release() {
  static const bool works = [] {
    const char* fault = std::getenv("FRINGE_FAULT_INJECTION");
    if (fault != nullptr && std::strcmp(fault, "process_madvise_refused") == 0) return false;
#if defined(SYS_pidfd_open) && defined(SYS_process_madvise)
    const std::size_t page = page_size();
    void* scratch = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED) return false;
    auto* bytes = static_cast<volatile char*>(scratch);
    bytes[0] = 1;
    bytes[page] = 1;
    bool dropped = false;
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
    if (pidfd >= 0) {
      const iovec ranges[] = {{scratch, page}, {static_cast<char*>(scratch) + page, page}};
      dropped = syscall(SYS_process_madvise, pidfd, ranges, 2, MADV_DONTNEED, 0) == static_cast<long>(2 * page) &&
                bytes[0] == 0 && bytes[page] == 0;
      close(pidfd);
    }
    munmap(scratch, 2 * page);
    return dropped;
#else
    return false;
#endif
  }();
  return works;
}

void BudgetedStack::DropPages(const iovec* ranges, std::size_t count) { DropRanges(ranges, count); }

std::uint64_t BudgetedStack::page_release_calls() { return drop_calls.load(std::memory_order_relaxed); }
std::uint64_t BudgetedStack::page_release_slots() { return drop_slots.load(std::memory_order_relaxed); }

}  // namespace fringe
