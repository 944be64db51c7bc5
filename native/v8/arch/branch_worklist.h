// The branch targets still to walk when a function is decoded on all paths
// (InstructionSet::Analyze with all_paths), each with the registers as they
// were at the branch. A target is walked once, whatever the path that
// reached it first; the entry counts as walked. The same for every
// architecture: RegisterModel is the architecture's (arch/<arch>/register_model.h).

#ifndef FRINGE_V8_ARCH_BRANCH_WORKLIST_H
#define FRINGE_V8_ARCH_BRANCH_WORKLIST_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fringe {

template <typename RegisterModel>
class BranchWorklist {
 public:
  /// `enabled` false: Add() ignores every target (a straight walk).
  BranchWorklist(std::size_t limit, bool enabled) : limit_(limit), enabled_(enabled) {}

  /// A branch to `target` (an offset in the function) with `regs`.
  void Add(std::int64_t target, const RegisterModel& regs) {
    if (!enabled_ || target < 0 || static_cast<std::size_t>(target) >= limit_) return;
    for (std::size_t w : walked_) {
      if (w == static_cast<std::size_t>(target)) return;
    }
    walked_.push_back(static_cast<std::size_t>(target));
    pending_.push_back(Path{static_cast<std::size_t>(target), regs});
  }

  /// Takes up the latest target not yet walked; false when none is left.
  bool Next(std::size_t* pos, RegisterModel* regs) {
    if (pending_.empty()) return false;
    *pos = pending_.back().pos;
    *regs = pending_.back().regs;
    pending_.pop_back();
    return true;
  }

 private:
  struct Path {
    std::size_t pos;
    RegisterModel regs;
  };
  std::size_t limit_;
  bool enabled_;
  std::vector<std::size_t> walked_{0};
  std::vector<Path> pending_;
};

}  // namespace fringe

#endif  // FRINGE_V8_ARCH_BRANCH_WORKLIST_H
