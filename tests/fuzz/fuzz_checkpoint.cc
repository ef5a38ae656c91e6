// GNN checkpoints (policy-NNNNNN.pt, --policy, --init): load_checkpoint must return a
// network or throw std::runtime_error (InputError for an unreadable file). Built only with
// LibTorch; LibTorch itself is not instrumented, so only crashes and escaping exceptions
// are seen inside it.
#include <stdexcept>

#include "gnn/model.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = rlplace::fuzz::scratch_file(rlplace::fuzz::bytes(data, size), ".pt");
  try {
    rlplace::gnn::load_checkpoint(path, torch::Device(torch::kCPU));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
