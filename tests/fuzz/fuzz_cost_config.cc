// Cost parameter files (`eval|place|compare --config PARAMS.json`), read by
// CostFlags::resolve: it must return the overrides or throw InputError.
#include "netlists/netlist.h"
#include "tests/fuzz/fuzz_util.h"
#include "tools/commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rlplace::tools::CostFlags flags;
  flags.config = rlplace::fuzz::scratch_file(rlplace::fuzz::bytes(data, size), ".json");
  try {
    flags.resolve();
  } catch (const rlplace::InputError&) {
  }
  return 0;
}
