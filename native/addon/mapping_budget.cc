// See mapping_budget.h.

#include "mapping_budget.h"

#include <atomic>
#include <cerrno>
#include <cstdio>

namespace fringe {

namespace {
std::atomic<long> stacks_live{0};
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

long MappingBudget::CountProcessMappings() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return -1;
  long lines = 0;
  int c;
  while ((c = std::getc(f)) != EOF) lines += c == '\n';
  std::fclose(f);
  return lines;
}

bool MappingBudget::Reserve(std::string* message) {
  const long limit = Limit();
  long own = 2 * (stacks_live.load(std::memory_order_relaxed) + 1);
  long others = others_seen.load(std::memory_order_relaxed);
  if (others < 0 || own + others + kHeadroom > limit) {
    // Near the line (or the first time): count for real.
    long total = CountProcessMappings();
    if (total >= 0) {
      others = total - 2 * stacks_live.load(std::memory_order_relaxed);
      if (others < 0) others = 0;
      others_seen.store(others, std::memory_order_relaxed);
    }
    if (others >= 0 && own + others + kHeadroom > limit) {
      if (message) {
        *message = "the process is near vm.max_map_count (" + std::to_string(limit) +
                   " mappings, and each stack takes 2): release stacks, let unused generators be collected, "
                   "or raise vm.max_map_count";
      }
      return false;
    }
  }
  stacks_live.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void MappingBudget::Release() { stacks_live.fetch_sub(1, std::memory_order_relaxed); }

BudgetedStack BudgetedStack::Allocate(std::size_t size, std::error_code& error, std::string* message) {
  error.clear();
  if (!MappingBudget::Reserve(message)) {
    error = std::error_code(ENOMEM, std::generic_category());
    return BudgetedStack();
  }
  OsStack stack = OsStack::allocate(size, error);
  if (error) {
    MappingBudget::Release();
    if (message) *message = error.message();
    return BudgetedStack();
  }
  return BudgetedStack(std::move(stack));
}

void BudgetedStack::release() {
  if (!stack_) return;
  stack_.release();
  MappingBudget::Release();
}

}  // namespace fringe
