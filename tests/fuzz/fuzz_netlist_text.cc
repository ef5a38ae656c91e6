// Text netlists (.pb.txt): parse_netlist must return a Netlist or throw InputError.
#include "netlists/netlist_reader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    rlplace::parse_netlist("fuzz.pb.txt", rlplace::fuzz::bytes(data, size));
  } catch (const rlplace::InputError&) {
  }
  return 0;
}
