// Training configurations (`train --config`, and the copy in state.json):
// TrainConfig::from_json must return a valid configuration or throw std::invalid_argument.
// What it accepts must survive its own writer: from_json(to_json()) gives it back.
#include <cstdlib>
#include <stdexcept>

#include "rl/config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rlplace::rl::TrainConfig c;
  try {
    c = rlplace::rl::TrainConfig::from_json(rlplace::fuzz::bytes(data, size));
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const std::string text = c.to_json();
  if (rlplace::rl::TrainConfig::from_json(text).to_json() != text) std::abort();
  return 0;
}
