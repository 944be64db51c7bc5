// A node executable file as a CodeSource (code_source.h), for checking the
// layout derivation offline: functions found in its .symtab and .dynsym,
// read from the mapped file at their link-time addresses, constants
// decoded from their bytes. Nothing in the file is run.

#ifndef FRINGE_V8_EXECUTABLE_FILE_H
#define FRINGE_V8_EXECUTABLE_FILE_H

#include "v8/code_source.h"
#include "v8/elf_file.h"

namespace fringe {

class ExecutableFile final : public CodeSource {
 public:
  explicit ExecutableFile(const char* path) : file_(path) {}

  /// Empty when the file could be mapped as a 64-bit ELF file.
  const std::string& error() const { return file_.error(); }

  const InstructionSet* instruction_set() const override {
    return InstructionSet::ForElfMachine(file_.machine());
  }
  std::map<std::string, Function> Find(const std::vector<std::string>& names, std::string* error) override;
  bool ConstantResult(const Function& f, std::int64_t* value, std::string* error) override;

 private:
  ElfFile file_;
};

}  // namespace fringe

#endif  // FRINGE_V8_EXECUTABLE_FILE_H
