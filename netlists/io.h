// File helpers shared by every reader and writer.
#pragma once

#include <string>
#include <string_view>

namespace rlplace {

// The whole file, gunzipped when it starts with the gzip magic bytes. Throws InputError
// for a missing or unreadable file and for a corrupt or truncated gzip stream.
std::string read_file(const std::string& path);

// Writes `content` to `path` atomically: a temporary file in the same directory, flushed,
// then renamed over `path`, so a reader never sees a half-written file. Throws
// std::runtime_error on failure.
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace rlplace
