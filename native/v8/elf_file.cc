// See elf_file.h.

#include "v8/elf_file.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace fringe {

ElfFile::ElfFile(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error_ = std::string("cannot read ") + path;
    return;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const std::uint8_t*>(p);
      size_ = static_cast<size_t>(st.st_size);
    }
  }
  close(fd);
  if (data_ == nullptr || size_ < sizeof(Elf64_Ehdr)) {
    error_ = std::string("cannot read ") + path;
    return;
  }
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data_);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) {
    error_ = std::string(path) + " is not a 64-bit ELF file";
    return;
  }
  machine_ = eh->e_machine;
  if (eh->e_phoff + static_cast<std::uint64_t>(eh->e_phnum) * sizeof(Elf64_Phdr) <= size_) {
    const auto* ph = reinterpret_cast<const Elf64_Phdr*>(data_ + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
      if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
        segments_.push_back({ph[i].p_vaddr, ph[i].p_vaddr + ph[i].p_filesz, ph[i].p_offset});
      }
    }
  }
}

ElfFile::~ElfFile() {
  if (data_) munmap(const_cast<std::uint8_t*>(data_), size_);
}

std::map<std::string, std::set<std::uintptr_t>> ElfFile::FunctionAddresses(const std::set<std::string>& names,
                                                                             int tables,
                                                                             std::string* error) const {
  std::map<std::string, std::set<std::uintptr_t>> addresses;
  if (!error_.empty()) {
    if (error) *error = error_;
    return addresses;
  }
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data_);
  if (eh->e_shoff == 0 || eh->e_shoff + static_cast<std::uint64_t>(eh->e_shnum) * sizeof(Elf64_Shdr) > size_) {
    if (error) *error = "the executable has no section headers";
    return addresses;
  }
  const auto* sections = reinterpret_cast<const Elf64_Shdr*>(data_ + eh->e_shoff);
  bool symtab = false;
  for (int i = 0; i < eh->e_shnum; i++) {
    const Elf64_Shdr& table = sections[i];
    if (table.sh_type == SHT_SYMTAB) symtab = true;
    if (!((table.sh_type == SHT_SYMTAB && (tables & kSymtab)) || (table.sh_type == SHT_DYNSYM && (tables & kDynsym)))) {
      continue;
    }
    if (table.sh_link >= eh->e_shnum) continue;
    const Elf64_Shdr& strtab = sections[table.sh_link];
    if (table.sh_offset + table.sh_size > size_ || strtab.sh_offset + strtab.sh_size > size_) {
      if (error) *error = "truncated symbol table";
      continue;
    }
    const auto* symbols = reinterpret_cast<const Elf64_Sym*>(data_ + table.sh_offset);
    const size_t count = table.sh_size / sizeof(Elf64_Sym);
    const char* strings = reinterpret_cast<const char*>(data_ + strtab.sh_offset);
    for (size_t j = 0; j < count; j++) {
      const Elf64_Sym& sym = symbols[j];
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0 || sym.st_name >= strtab.sh_size) continue;
      const char* name = strings + sym.st_name;
      if (names.count(name)) addresses[name].insert(sym.st_value);
    }
  }
  if ((tables & kSymtab) && !symtab && error && error->empty()) *error = "the node executable is stripped (no .symtab)";
  return addresses;
}

const std::uint8_t* ElfFile::CodeAt(std::uintptr_t address, std::size_t* available) const {
  for (const auto& seg : segments_) {
    if (address < seg.start || address >= seg.end) continue;
    std::uint64_t offset = seg.file_offset + (address - seg.start);
    if (offset >= size_) return nullptr;
    std::uint64_t end = seg.file_offset + (seg.end - seg.start);
    if (end > size_) end = size_;
    *available = static_cast<std::size_t>(end - offset);
    return data_ + offset;
  }
  return nullptr;
}

}  // namespace fringe
