// Where the layout derivation reads V8's code: the running node (the
// addon, process_code.h) or a node executable file (the offline check,
// executable_file.h). The derivation (layout_derivation.h) sees only this
// interface, so the offline check runs exactly the code the addon runs.

#ifndef FRINGE_V8_CODE_SOURCE_H
#define FRINGE_V8_CODE_SOURCE_H

#include <map>
#include <string>
#include <vector>

#include "v8/instruction_set.h"

namespace fringe {

class CodeSource {
 public:
  struct Function {
    CodeBytes code;
    bool from_symtab = false;  // found in .symtab (V8 hidden), not the dynamic symbols
  };

  virtual ~CodeSource() = default;

  /// The decoder for this code; null when there is none (then Find() is not
  /// asked).
  virtual const InstructionSet* instruction_set() const = 0;

  /// Looks up all of `names` at once. Names not found are absent from the
  /// map; `error` explains a failure to read symbols, if there was one.
  virtual std::map<std::string, Function> Find(const std::vector<std::string>& names, std::string* error) = 0;

  /// What `static int F()` (an ArchiveSpacePerThread) returns. Live code is
  /// called; a file's is decoded (InstructionSet::ConstantReturn).
  virtual bool ConstantResult(const Function& f, std::int64_t* value, std::string* error) = 0;
};

}  // namespace fringe

#endif  // FRINGE_V8_CODE_SOURCE_H
