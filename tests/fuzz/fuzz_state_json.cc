// Training state files (DIR/state.json, read by `train --resume` and `place --policy DIR`).
// The reading lives inside rl/trainer.cc's train() and resolve_policy(), which need
// LibTorch and a whole run directory; this target runs the same JSON-level reading on the
// fuzzer's bytes: the document, its format and version, the stored configuration through
// TrainConfig::from_json, the seed, the netlist lists, the checkpoint names and the
// learner's state (PpoLearner::restore_state_json's fields). It must succeed or throw
// InputError, std::invalid_argument or nlohmann::json::exception (which rlplace reports
// as one line); anything else is a finding. Keep it in step with rl/trainer.cc.
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "netlists/netlist.h"
#include "rl/config.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using nlohmann::json;

void read_state(const std::string& text) {
  const json state = json::parse(text);
  if (state.at("format") != "rlplace-train-state") throw rlplace::InputError("state.json: not a training state file");
  if (state.at("version") != 1) throw rlplace::InputError("state.json: state version");
  const rlplace::rl::TrainConfig stored = rlplace::rl::TrainConfig::from_json(state.at("config").dump());
  (void)stored;
  (void)state.at("seed").get<uint64_t>();
  for (const char* key : {"train", "eval"})
    for (const auto& s : state.at(key)) {
      (void)s.at("netlist").get<std::string>();
      (void)s.at("plc").get<std::string>();
    }
  (void)state.at("checkpoint").get<std::string>();
  (void)state.at("optimizer").get<std::string>();
  const json learner = json::parse(state.at("learner").dump());
  (void)learner.at("version").get<int64_t>();
  (void)learner.at("kl_beta").get<double>();
  for (const auto& [label, s] : learner.at("reward_stats").items()) {
    (void)s.at("mean").get<double>();
    (void)s.at("second").get<double>();
    (void)s.at("episodes").get<int64_t>();
  }
  (void)state.at("iteration").get<int64_t>();
  (void)state.at("elapsed_seconds").get<double>();
  std::vector<json> history;
  for (const auto& r : state.at("history")) history.push_back(r);
  const json best = state.at("best");
  (void)best.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    read_state(rlplace::fuzz::bytes(data, size));
  } catch (const rlplace::InputError&) {
  } catch (const std::invalid_argument&) {
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
