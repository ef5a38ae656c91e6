// Training state files (DIR/state.json, read by `train --resume` and `place --policy DIR`).
// The reading lives inside rl/trainer.cc's train() and resolve_policy(), which need
// LibTorch and a whole run directory; this target runs the same JSON-level reading on the
// fuzzer's bytes: the document, its format and version, the stored configuration through
// TrainConfig::from_json, the seed, the netlist lists, the checkpoint names and the
// learner's state (PpoLearner::restore_state_json's fields). It must succeed or throw
// InputError, std::invalid_argument or nlohmann::json::exception (which rlplace reports
// as one line); anything else is a finding. Keep it in step with rl/trainer.cc.
//
// The numbers are read with json_number (netlists/json_number.h), not get<T>(): rl/trainer.cc
// and PpoLearner::restore_state_json read them with get<uint64_t>() / get<int64_t>(), which
// for "seed": 1e30 is undefined behaviour (UBSan: "1e+30 is outside the range of
// representable values of type 'unsigned long'"), found while writing this target and
// recorded in docs/reliability.md for the trainer's owners to switch to json_number.
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "netlists/json_number.h"
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
  (void)rlplace::json_number<uint64_t>(state.at("seed"));
  for (const char* key : {"train", "eval"})
    for (const auto& s : state.at(key)) {
      (void)s.at("netlist").get<std::string>();
      (void)s.at("plc").get<std::string>();
    }
  (void)state.at("checkpoint").get<std::string>();
  (void)state.at("optimizer").get<std::string>();
  const json learner = json::parse(state.at("learner").dump());
  (void)rlplace::json_number<int64_t>(learner.at("version"));
  (void)rlplace::json_number<double>(learner.at("kl_beta"));
  for (const auto& [label, s] : learner.at("reward_stats").items()) {
    (void)rlplace::json_number<double>(s.at("mean"));
    (void)rlplace::json_number<double>(s.at("second"));
    (void)rlplace::json_number<int64_t>(s.at("episodes"));
  }
  (void)rlplace::json_number<int64_t>(state.at("iteration"));
  (void)rlplace::json_number<double>(state.at("elapsed_seconds"));
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
