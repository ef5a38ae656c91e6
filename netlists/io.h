// File helpers shared by every reader and writer.
#pragma once

#include <string>
#include <string_view>

namespace rlplace {

// The whole file, gunzipped when it starts with the gzip magic bytes. Throws InputError
// for a missing or unreadable file and for a corrupt or truncated gzip stream.
std::string read_file(const std::string& path);

// `data` gunzipped when it starts with the gzip magic bytes, else unchanged: read_file's
// decoding of bytes already in memory. `path` only names them in messages.
std::string gunzip_if_gzip(const std::string& path, std::string data);

// Writes `content` to `path` atomically: a temporary file in the same directory, flushed,
// then renamed over `path`, so a reader never sees a half-written file. Throws
// std::runtime_error on failure.
void write_file_atomic(const std::string& path, std::string_view content);

// Removes `path` and everything under it (symbolic links themselves, not what they point
// to); best effort, no error for what is missing or cannot be removed. Through POSIX nftw,
// not std::filesystem::remove_all: linked against PyTorch 2.11's LibTorch, the test binaries
// bound that to libtorch.so's own copy, whose error_code overload jumps to address 0
// (docs/reliability.md).
void remove_tree(const std::string& path);

// gzip of `text`, the inverse of read_file's gunzip; no name or time in its header, so
// equal input gives equal bytes.
std::string gzip_text(const std::string& text);

// Shortest decimal text that reads back as exactly `v`.
std::string format_double(double v);

// The whole of `s` as a number (no sign, space or suffix left over); false otherwise.
bool parse_number(std::string_view s, double& v);
bool parse_integer(std::string_view s, long long& v);

}  // namespace rlplace
