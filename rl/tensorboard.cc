#include "rl/tensorboard.h"

#include <unistd.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>

#include "netlists/io.h"

namespace rlplace::rl {

uint32_t crc32c(const void* data, size_t n) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

namespace {

uint32_t masked_crc(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

void put_varint(std::string& s, uint64_t v) {
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
}

template <class T>
void put_fixed(std::string& s, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian hosts, as TFRecord is
  s.append(b, sizeof(T));
}

void put_bytes(std::string& s, int field, const std::string& bytes) {
  put_varint(s, (static_cast<uint64_t>(field) << 3) | 2);
  put_varint(s, bytes.size());
  s += bytes;
}

// tensorflow.Event: wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5.
std::string event(double wall_time, int64_t step) {
  std::string s;
  put_varint(s, (1 << 3) | 1);
  put_fixed(s, wall_time);
  put_varint(s, (2 << 3) | 0);
  put_varint(s, static_cast<uint64_t>(step));
  return s;
}

}  // namespace

EventWriter::EventWriter(const std::string& dir) {
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  path_ = fmt::format("{}/events.out.tfevents.{}.{}.{}", dir, static_cast<long long>(std::time(nullptr)), host, getpid());
  file_ = std::fopen(path_.c_str(), "ab");
  if (!file_) throw std::runtime_error(fmt::format("{}: cannot create the TensorBoard event file", path_));
  std::string e = event(static_cast<double>(std::time(nullptr)), 0);
  put_bytes(e, 3, "brain.Event:2");
  record(e);
  std::fflush(file_);
}

EventWriter::~EventWriter() {
  if (file_) std::fclose(file_);
}

void EventWriter::record(const std::string& data) {
  std::string r;
  put_fixed<uint64_t>(r, data.size());
  put_fixed<uint32_t>(r, masked_crc(r.data(), 8));
  r += data;
  put_fixed<uint32_t>(r, masked_crc(data.data(), data.size()));
  if (std::fwrite(r.data(), 1, r.size(), file_) != r.size())
    throw std::runtime_error(fmt::format("{}: write failed", path_));
}

void EventWriter::scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values, double wall_time) {
  for (const auto& [tag, v] : values) {
    std::string value;  // Summary.Value: tag = 1, simple_value = 2 (float)
    put_bytes(value, 1, tag);
    put_varint(value, (2 << 3) | 5);
    put_fixed(value, static_cast<float>(v));
    std::string summary;  // Summary: repeated Value value = 1
    put_bytes(summary, 1, value);
    std::string e = event(wall_time, step);
    put_bytes(e, 5, summary);
    record(e);
  }
  std::fflush(file_);
}

namespace {

struct Reader {
  const std::string& s;
  size_t pos, end;
  const std::string& path;
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) throw std::runtime_error(fmt::format("{}: truncated protobuf varint", path));
      const uint8_t b = static_cast<uint8_t>(s[pos++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw std::runtime_error(fmt::format("{}: bad protobuf varint", path));
  }
  std::string bytes() {
    const uint64_t n = varint();
    if (n > end - pos) throw std::runtime_error(fmt::format("{}: truncated protobuf field", path));
    std::string b = s.substr(pos, n);
    pos += n;
    return b;
  }
  void skip(int wire) {
    if (wire == 0) varint();
    else if (wire == 1) pos += 8;
    else if (wire == 2) bytes();
    else if (wire == 5) pos += 4;
    else throw std::runtime_error(fmt::format("{}: unsupported protobuf wire type {}", path, wire));
  }
};

}  // namespace

std::vector<ScalarEvent> read_scalar_events(const std::string& path) {
  const std::string s = read_file(path);
  std::vector<ScalarEvent> out;
  size_t pos = 0;
  while (pos < s.size()) {
    if (s.size() - pos < 12) throw std::runtime_error(fmt::format("{}: truncated record at byte {}", path, pos));
    uint64_t n;
    uint32_t len_crc;
    std::memcpy(&n, s.data() + pos, 8);
    std::memcpy(&len_crc, s.data() + pos + 8, 4);
    if (len_crc != masked_crc(s.data() + pos, 8)) throw std::runtime_error(fmt::format("{}: bad length checksum at byte {}", path, pos));
    if (n > s.size() - pos - 16) throw std::runtime_error(fmt::format("{}: truncated record at byte {}", path, pos));
    uint32_t data_crc;
    std::memcpy(&data_crc, s.data() + pos + 12 + n, 4);
    if (data_crc != masked_crc(s.data() + pos + 12, n)) throw std::runtime_error(fmt::format("{}: bad data checksum at byte {}", path, pos));
    Reader ev{s, pos + 12, pos + 12 + n, path};
    int64_t step = 0;
    std::vector<std::pair<std::string, float>> values;
    while (ev.pos < ev.end) {
      const uint64_t key = ev.varint();
      const int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
      if (field == 2 && wire == 0) {
        step = static_cast<int64_t>(ev.varint());
      } else if (field == 5 && wire == 2) {
        const std::string summary = ev.bytes();
        Reader sr{summary, 0, summary.size(), path};
        while (sr.pos < sr.end) {
          const uint64_t k = sr.varint();
          if ((k >> 3) != 1 || (k & 7) != 2) { sr.skip(static_cast<int>(k & 7)); continue; }
          const std::string value = sr.bytes();
          Reader vr{value, 0, value.size(), path};
          std::string tag;
          float v = 0;
          while (vr.pos < vr.end) {
            const uint64_t vk = vr.varint();
            if (vk == ((1 << 3) | 2)) tag = vr.bytes();
            else if (vk == ((2 << 3) | 5)) { std::memcpy(&v, value.data() + vr.pos, 4); vr.pos += 4; }
            else vr.skip(static_cast<int>(vk & 7));
          }
          values.emplace_back(tag, v);
        }
      } else {
        ev.skip(wire);
      }
    }
    for (auto& [tag, v] : values) out.push_back({step, tag, v});
    pos += 16 + n;
  }
  return out;
}

}  // namespace rlplace::rl
