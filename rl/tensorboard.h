// TensorBoard event files (TFRecord framing of tensorflow.Event messages), written by hand:
// the scalars of a training run need about forty lines of protobuf wire format, not
// TensorFlow. Append-only, as TensorBoard expects; each iteration's scalars are flushed
// together.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace rlplace::rl {

class EventWriter {
 public:
  // Creates DIR/events.out.tfevents.<seconds>.<host>.<pid> and writes the version record.
  explicit EventWriter(const std::string& dir);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  void scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values, double wall_time);
  const std::string& path() const { return path_; }

 private:
  void record(const std::string& data);
  std::string path_;
  std::FILE* file_ = nullptr;
};

struct ScalarEvent {
  int64_t step;
  std::string tag;
  float value;
};
// Reads the scalars back; throws std::runtime_error on a bad length or data checksum.
std::vector<ScalarEvent> read_scalar_events(const std::string& path);

// CRC-32C (Castagnoli), as TFRecord frames use it.
uint32_t crc32c(const void* data, size_t n);

}  // namespace rlplace::rl
