// Checkpoints: see gnn/model.h. The checksum is FNV-1a (64 bits) over every parameter's
// name, shape and bytes (float32, contiguous, on the CPU) in the network's order, stored as
// 16 hex digits under "checksum"; files written before it existed have none and are
// loaded unchecked, but every load refuses non-finite weights.
#include <cstdint>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "gnn/model.h"
#include "netlists/io.h"

namespace rlplace::gnn {

namespace {

constexpr const char* kFormatTag = "rlplace-gnn-checkpoint";

// The first non-empty line: LibTorch's messages may start with a newline.
std::string first_line(const char* what) {
  std::string s(what);
  const size_t start = s.find_first_not_of("\n");
  if (start == std::string::npos) return "";
  return s.substr(start, s.find('\n', start) - start);
}

struct OpenCheckpoint {
  std::string bytes;
  torch::serialize::InputArchive archive;
  GnnConfig config;
  std::string checksum;  // empty: an older file without one
};

void fnv1a(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
}

// Reads and checks the header (tag, version, configuration); the parameters stay in the
// archive.
void open_checkpoint(const std::string& path, OpenCheckpoint& ck) {
  ck.bytes = read_file(path);
  c10::IValue tag, version, config;
  try {
    ck.archive.load_from(ck.bytes.data(), ck.bytes.size(), torch::Device(torch::kCPU));
    if (!ck.archive.try_read("format", tag) || !tag.isString() || tag.toStringRef() != kFormatTag)
      throw std::runtime_error(fmt::format("{}: not an rlplace GNN checkpoint (no '{}' tag)", path, kFormatTag));
    if (!ck.archive.try_read("version", version) || !version.isInt())
      throw std::runtime_error(fmt::format("{}: corrupt checkpoint: no format version", path));
    if (!ck.archive.try_read("config", config) || !config.isString())
      throw std::runtime_error(fmt::format("{}: corrupt checkpoint: no configuration", path));
    c10::IValue checksum;
    if (ck.archive.try_read("checksum", checksum)) {
      if (!checksum.isString()) throw std::runtime_error(fmt::format("{}: corrupt checkpoint: bad checksum entry", path));
      ck.checksum = checksum.toStringRef();
    }
  } catch (const c10::Error& e) {
    throw std::runtime_error(
        fmt::format("{}: not a readable checkpoint (corrupt or truncated?): {}", path, first_line(e.what_without_backtrace())));
  } catch (const std::runtime_error&) {
    throw;
  } catch (const std::exception& e) {
    // TorchScript's parser throws torch::jit::ErrorReport, which is not a c10::Error, for a
    // corrupt code section: a nine-line message without the file's name (issue 17).
    throw std::runtime_error(
        fmt::format("{}: not a readable checkpoint (corrupt or truncated?): {}", path, first_line(e.what())));
  }
  if (version.toInt() != kCheckpointVersion)
    throw std::runtime_error(fmt::format("{}: checkpoint format version {}; this build reads version {}", path,
                                         version.toInt(), kCheckpointVersion));
  try {
    ck.config = GnnConfig::from_json(config.toStringRef());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
}

// The parameters into a fresh CPU network of the file's configuration. Module::load
// replaces tensors without comparing shapes, so shapes are checked here.
PolicyValueNet read_parameters(const std::string& path, OpenCheckpoint& ck) {
  PolicyValueNet net(ck.config);
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& p : net->named_parameters()) shapes.emplace_back(p.key(), p.value().sizes().vec());
  try {
    torch::serialize::InputArchive params;
    ck.archive.read("params", params);
    net->load(params);
  } catch (const c10::Error& e) {
    throw std::runtime_error(
        fmt::format("{}: corrupt checkpoint: {}", path, first_line(e.what_without_backtrace())));
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: corrupt checkpoint: {}", path, first_line(e.what())));
  }
  const auto loaded = net->named_parameters();
  for (const auto& [name, shape] : shapes) {
    const torch::Tensor* t = loaded.find(name);
    if (!t || t->sizes().vec() != shape)
      throw std::runtime_error(fmt::format("{}: corrupt checkpoint: parameter '{}' has the wrong shape", path, name));
    if (!torch::isfinite(*t).all().item<bool>())
      throw std::runtime_error(fmt::format("{}: corrupt checkpoint: parameter '{}' has non-finite weights", path, name));
  }
  if (!ck.checksum.empty() && ck.checksum != parameter_checksum(*net))
    throw std::runtime_error(fmt::format("{}: corrupt checkpoint: checksum {} of the weights differs from the recorded {}",
                                         path, parameter_checksum(*net), ck.checksum));
  return net;
}

}  // namespace

std::string parameter_checksum(const PolicyValueNetImpl& net) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& p : net.named_parameters()) {
    const torch::Tensor t = p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    fnv1a(h, p.key().data(), p.key().size());
    for (int64_t d : t.sizes()) fnv1a(h, &d, sizeof d);
    fnv1a(h, t.data_ptr<float>(), static_cast<size_t>(t.numel()) * sizeof(float));
  }
  return fmt::format("{:016x}", h);
}

void save_checkpoint(const std::string& path, const PolicyValueNetImpl& net) {
  torch::serialize::OutputArchive archive, params;
  archive.write("format", c10::IValue(std::string(kFormatTag)));
  archive.write("version", c10::IValue(kCheckpointVersion));
  archive.write("config", c10::IValue(net.config().to_json()));
  archive.write("checksum", c10::IValue(parameter_checksum(net)));
  net.save(params);
  archive.write("params", params);
  // Serialised in memory first so that the file appears whole or not at all.
  std::ostringstream os;
  archive.save_to(os);
  write_file_atomic(path, os.str());
}

GnnConfig checkpoint_config(const std::string& path) {
  OpenCheckpoint ck;
  open_checkpoint(path, ck);
  return ck.config;
}

PolicyValueNet load_checkpoint(const std::string& path, torch::Device device) {
  OpenCheckpoint ck;
  open_checkpoint(path, ck);
  PolicyValueNet net = read_parameters(path, ck);
  net->to(device);
  return net;
}

void load_weights(const std::string& path, PolicyValueNetImpl& net) {
  OpenCheckpoint ck;
  open_checkpoint(path, ck);
  if (!(ck.config == net.config()))
    throw std::runtime_error(fmt::format("{}: checkpoint configuration {} differs from the network's {}", path,
                                         ck.config.to_json(), net.config().to_json()));
  PolicyValueNet loaded = read_parameters(path, ck);
  const auto from = loaded->named_parameters();
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters()) p.value().copy_(from[p.key()]);
}

}  // namespace rlplace::gnn
