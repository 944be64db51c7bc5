// Keeps stack mappings from exhausting vm.max_map_count.
//
// Each guarded stack is two kernel mappings (the guard page and the stack),
// and Linux limits a process to vm.max_map_count mappings (65530 by
// default). Let stacks take them all and the next mmap anywhere fails: V8
// allocating a zone or a heap page aborts the whole process. So stacks may
// only use the limit minus what the rest of the process has, with room to
// spare; past that, allocating a stack fails with ENOMEM and a message that
// names the limit, and the process goes on.

#ifndef FRINGE_ADDON_MAPPING_BUDGET_H
#define FRINGE_ADDON_MAPPING_BUDGET_H

#include <cstddef>
#include <string>
#include <system_error>

#include "fringe/stack.hpp"

namespace fringe {

/// An OsStack counted against the budget while it is mapped.
class BudgetedStack {
 public:
  BudgetedStack() = default;
  /// A stack, unless the budget or the mapping fails: then it is empty,
  /// `error` is set and `message` says why.
  static BudgetedStack Allocate(std::size_t size, std::error_code& error, std::string* message);

  BudgetedStack(BudgetedStack&& other) noexcept = default;
  BudgetedStack& operator=(BudgetedStack&& other) noexcept {
    if (this != &other) {
      release();
      stack_ = std::move(other.stack_);
    }
    return *this;
  }
  ~BudgetedStack() { release(); }

  explicit operator bool() const { return static_cast<bool>(stack_); }
  void* base() const { return stack_.base(); }
  void* limit() const { return stack_.limit(); }
  std::size_t size() const { return stack_.size(); }
  /// Unmaps now; idempotent.
  void release();

 private:
  explicit BudgetedStack(OsStack stack) : stack_(std::move(stack)) {}
  OsStack stack_;
};

class MappingBudget {
 public:
  /// Mappings left for the rest of the process (V8's heap pages, zones,
  /// malloc arenas, shared libraries) when stacks reach their share.
  static constexpr long kHeadroom = 4096;

  /// Reserves room for one stack, or returns false with `message` set.
  static bool Reserve(std::string* message);
  /// Gives back what Reserve() took.
  static void Release();
  /// Mappings the process has now (lines of /proc/self/maps).
  static long CountProcessMappings();
  static long Limit();
};

}  // namespace fringe

#endif  // FRINGE_ADDON_MAPPING_BUDGET_H
