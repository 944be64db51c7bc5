// See executable_file.h.

#include "v8/executable_file.h"

#include <set>

namespace fringe {

std::map<std::string, CodeSource::Function> ExecutableFile::Find(const std::vector<std::string>& names,
                                                                 std::string* error) {
  std::map<std::string, Function> out;
  const std::set<std::string> wanted(names.begin(), names.end());
  // An exported function is in .symtab too, at the same address: the union
  // of both tables has one address per name, as the addon's dlsym-then-
  // .symtab lookup (symbols.h) finds it.
  const auto all = file_.FunctionAddresses(wanted, ElfFile::kSymtab | ElfFile::kDynsym, error);
  std::string ignored;
  const auto exported = file_.FunctionAddresses(wanted, ElfFile::kDynsym, &ignored);
  for (const auto& [name, values] : all) {
    if (values.size() != 1) continue;  // ambiguous: refused, as live
    Function f;
    f.code.address = *values.begin();
    f.code.bytes = file_.CodeAt(f.code.address, &f.code.size);
    if (f.code.bytes == nullptr) continue;
    f.from_symtab = exported.count(name) == 0;
    out[name] = f;
  }
  return out;
}

bool ExecutableFile::ConstantResult(const Function& f, std::int64_t* value, std::string* error) {
  const InstructionSet* isa = instruction_set();
  if (isa != nullptr && isa->ConstantReturn(f.code, value)) return true;
  if (error) *error = "not a function that returns a constant";
  return false;
}

}  // namespace fringe
