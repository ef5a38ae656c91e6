// Gzipped text netlists (.pb.txt.gz): the gzip decoding read_file does, then the text
// reader. Both must return or throw InputError (a truncated or corrupt stream included).
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const std::string text = rlplace::gunzip_if_gzip("fuzz.pb.txt.gz", rlplace::fuzz::bytes(data, size));
    rlplace::parse_netlist("fuzz.pb.txt.gz", text);
  } catch (const rlplace::InputError&) {
  }
  return 0;
}
