// .plc placements: parse_plc, then apply_plc against two small bundled netlists (the
// samples with soft macros and with standard cells), so that indices, counts and kinds are
// checked too. Both must return or throw InputError. (Ariane133's netlist made each input
// take tens of milliseconds; its .plc files still seed the header and body parsing.)
#include "netlists/netlist_reader.h"
#include "netlists/placement.h"
#include "netlists/plc.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const std::vector<rlplace::Netlist>& netlists() {
  static const std::vector<rlplace::Netlist> nls = {
      rlplace::read_netlist(RLPLACE_SOURCE_DIR "/netlists/data/ct_samples/sample_clustered/netlist.pb.txt"),
      rlplace::read_netlist(RLPLACE_SOURCE_DIR "/netlists/data/ct_samples/toy_macro_stdcell/netlist.pb.txt")};
  return nls;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& nls = netlists();
  rlplace::PlcFile plc;
  try {
    plc = rlplace::parse_plc("fuzz.plc", rlplace::fuzz::bytes(data, size));
  } catch (const rlplace::InputError&) {
    return 0;
  }
  for (const rlplace::Netlist& nl : nls) {
    rlplace::Placement p = rlplace::Placement::from_netlist(nl);
    try {
      rlplace::apply_plc(plc, nl, p);
    } catch (const rlplace::InputError&) {
    }
  }
  return 0;
}
