// Shared by the libFuzzer targets (tools/fuzz.sh, docs/reliability.md). Each target feeds
// one reader the fuzzer's bytes; the reader must return or throw its documented exception.
// Anything else (a crash, another exception, a hang, a sanitizer report) is a finding:
// an escaping exception reaches std::terminate, which libFuzzer reports with the input.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace rlplace::fuzz {

inline std::string bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A per-process scratch file (in /dev/shm when there is one) holding `content`, for
// readers that only take a path.
inline const std::string& scratch_file(const std::string& content, const char* suffix) {
  static std::string path;
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  path = std::string(dir) + "/rlplace-fuzz-" + std::to_string(getpid()) + suffix;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (!content.empty() && std::fwrite(content.data(), 1, content.size(), f) != content.size()) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace rlplace::fuzz
