// A node executable as an ELF file, mapped read-only: its machine, its
// executable segments, and the addresses its symbol tables give for
// function names. Used for the running node's own file (/proc/self/exe,
// symbols.h) and for any node executable checked offline
// (executable_file.h).

#ifndef FRINGE_V8_ELF_FILE_H
#define FRINGE_V8_ELF_FILE_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fringe {

class ElfFile {
 public:
  /// A PT_LOAD segment with execute permission: link-time addresses
  /// [start, end) are the file's bytes from `file_offset`.
  struct Segment {
    std::uintptr_t start, end;
    std::uint64_t file_offset;
  };

  /// Maps `path`; check error() (empty when it is a 64-bit ELF file).
  explicit ElfFile(const char* path);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  const std::string& error() const { return error_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  int machine() const { return machine_; }  // e_machine
  const std::vector<Segment>& executable_segments() const { return segments_; }

  /// Which symbol tables to read: .symtab (every symbol of an unstripped
  /// file, hidden ones included), .dynsym (the exported ones).
  enum Tables { kSymtab = 1, kDynsym = 2 };

  /// The link-time addresses of the STT_FUNC symbols named in `names`, from
  /// the `tables` (a mask of Tables). A name with more than
  /// one address is ambiguous: callers refuse it rather than guess
  /// (".part.0" clones have other names and never match). `error` says
  /// why no table could be read (a stripped file).
  std::map<std::string, std::set<std::uintptr_t>> FunctionAddresses(const std::set<std::string>& names,
                                                                     int tables, std::string* error) const;

  /// Where the code at link-time `address` is in the file, and how many
  /// bytes of its executable segment follow; null if it is in none.
  const std::uint8_t* CodeAt(std::uintptr_t address, std::size_t* available) const;

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  int machine_ = 0;
  std::vector<Segment> segments_;
  std::string error_;
};

}  // namespace fringe

#endif  // FRINGE_V8_ELF_FILE_H
