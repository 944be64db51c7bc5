// The running node's code as a CodeSource (code_source.h): functions found
// by SymbolResolver (symbols.h), constants learnt by calling them.

#ifndef FRINGE_V8_PROCESS_CODE_H
#define FRINGE_V8_PROCESS_CODE_H

#include "v8/code_source.h"

namespace fringe {

class ProcessCode final : public CodeSource {
 public:
  const InstructionSet* instruction_set() const override { return InstructionSet::Host(); }
  std::map<std::string, Function> Find(const std::vector<std::string>& names, std::string* error) override;
  bool ConstantResult(const Function& f, std::int64_t* value, std::string* error) override;
};

}  // namespace fringe

#endif  // FRINGE_V8_PROCESS_CODE_H
