// Hardening (issue 17): inputs the fuzz targets (tests/fuzz) and their writing turned up,
// each of which must give one InputError line, never a crash; and outputs under a failing
// disk.
//
// Outputs under a failing disk: every file rlplace writes (placements, reports, training
// state, checkpoints) goes through write_file_atomic, so a write that fails part-way (disk
// full) must leave the previous file as it was, no temporary file behind, and a one-line
// error naming the file. The disk is made to fail with a file-size limit (RLIMIT_FSIZE) in
// a forked child: past it write() fails with EFBIG, as it fails with ENOSPC on a full disk,
// and it needs neither root nor a mount.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/json_number.h"
#include "netlists/netlist_reader.h"
#include "netlists/plc.h"
#include "tests/test_util.h"

namespace rlplace {
namespace {

// Runs `body` in a child process whose files may not grow beyond `limit` bytes. Returns
// "ok" when it returns, else the message of the exception it threw.
std::string with_file_size_limit(rlim_t limit, const std::function<void()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of killing us
    const rlimit rl{limit, limit};
    std::string result = "ok";
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) result = "setrlimit failed";
    else {
      try {
        body();
      } catch (const std::exception& e) {
        result = e.what();
      }
    }
    (void)!write(fds[1], result.data(), result.size());
    _exit(0);  // no atexit handlers: the parent owns the temporary directories
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child died: " + std::to_string(status);
  return out;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int files_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// The InputError message of `f()`, or "no error".
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(ReaderHardening, PlcIntegersTooLongForStoll) {
  // std::stoll threw std::out_of_range, which is not an InputError.
  EXPECT_EQ(input_error([] { params_from_plc(parse_plc("a.plc", "# Columns : 99999999999999999999  Rows : 2\n")); }),
            "a.plc:1: invalid grid columns 1e+20: must be at least 1 and at most 512");
  EXPECT_EQ(input_error([] { parse_plc("a.plc", "#\n# PORTs : 99999999999999999999\n"); }),
            "a.plc:2: invalid node count in header");
  EXPECT_EQ(input_error([] { parse_plc("a.plc", "# PORTs : 4294967297\n"); }), "a.plc:1: invalid node count in header");
}

TEST(ReaderHardening, LongHeaderLinesDoNotOverflowTheStack) {
  // std::regex recursed once per character and overflowed the stack.
  const std::string plc = "#" + std::string(40000, ' ') + "Columns : 1  Rows : 1\n";
  EXPECT_EQ(input_error([&] { parse_plc("a.plc", plc); }), "a.plc:1: header line longer than 4096 characters");
  const std::string block = "# Block : " + std::string(40000, 'x') + "\n";
  EXPECT_EQ(input_error([&] { parse_plc("a.plc", block); }), "a.plc:1: header line longer than 4096 characters");
  // A long line is fine below the limit.
  EXPECT_EQ(parse_plc("a.plc", "# Block : " + std::string(4000, 'x') + "\n").header.block_name, std::string(4000, 'x'));
  const std::string netlist = "#" + std::string(30000, ' ') + "Block : x\n" + test::port_node("a", 1, 2);
  EXPECT_EQ(input_error([&] { parse_netlist("n.pb.txt", netlist); }),
            "n.pb.txt:1: header comment longer than 4096 characters");
}

TEST(ReaderHardening, DeeplyNestedTextDoesNotOverflowTheStack) {
  // Unknown fields are skipped recursively; 30,000 levels overflowed the stack.
  std::string deep = test::port_node("a", 1, 2) + "library ";
  for (int i = 0; i < 30000; ++i) deep += "{ f ";
  const std::string msg = input_error([&] { parse_netlist("n.pb.txt", deep); });
  EXPECT_TRUE(contains(msg, "messages nested more than 100 deep")) << msg;
  // Legitimate nesting (a few levels) still reads.
  const std::string ok = test::port_node("a", 1, 2) + "versions { producer: 1 x { y { z: 2 } } }\n";
  EXPECT_EQ(parse_netlist("n.pb.txt", ok).num_nodes(), 1);
}

TEST(ReaderHardening, BinaryNetlistWithInvalidUtf8IsOneLine) {
  // protobuf logged "[libprotobuf ERROR ...] String field ... contains invalid UTF-8" to
  // stderr before rlplace's own error line (found by fuzz_netlist_text).
  const std::string dir = test::temp_dir("utf8");
  const std::string path = dir + "/bad.pb";
  test::write_text(path, std::string("\x0a\x03\x0a\x01\xff", 5));  // node { name: "\xff" }
  std::string output;
  EXPECT_EQ(test::run_rlplace("eval --netlist " + path, output), 1) << output;
  EXPECT_EQ(output.rfind("rlplace: error: " + path, 0), 0u) << output;
  EXPECT_EQ(output.find('\n'), output.size() - 1) << output;
}

TEST(JsonNumbers, IntegersAreCheckedNotCast) {
  using nlohmann::json;
  EXPECT_EQ(json_number<int>(json(4)), 4);
  EXPECT_EQ(json_number<int>(json(4.0)), 4);
  EXPECT_EQ(json_number<int64_t>(json(-9007199254740992.0)), -9007199254740992);
  EXPECT_EQ(json_number<uint64_t>(json(18446744073709551615ull)), 18446744073709551615ull);
  EXPECT_EQ(json_number<double>(json(2)), 2.0);
  EXPECT_THROW(json_number<int>(json(2.5)), std::invalid_argument);
  EXPECT_THROW(json_number<int>(json(1e300)), std::invalid_argument);  // get<int>() is undefined behaviour
  EXPECT_THROW(json_number<int>(json(2147483648.0)), std::invalid_argument);
  EXPECT_EQ(json_number<int>(json(-2147483648.0)), INT32_MIN);
  EXPECT_THROW(json_number<int>(json(4294967297)), std::invalid_argument);  // get<int>() wraps to 1
  EXPECT_THROW(json_number<uint64_t>(json(-1)), std::invalid_argument);
  EXPECT_THROW(json_number<uint64_t>(json(18446744073709551616.0)), std::invalid_argument);
  EXPECT_THROW(json_number<int>(json("4")), std::invalid_argument);
  EXPECT_THROW(json_number<int>(json(nullptr)), std::invalid_argument);
}

TEST(JsonNumbers, CostConfigRejectsIntegersOutOfRange) {
  const std::string dir = test::temp_dir("cost_config");
  const std::string netlist = test::data("netlists/data/ct_samples/sample_clustered/netlist.pb.txt");
  for (const auto& [json, expect] : std::vector<std::pair<std::string, std::string>>{
           {R"({"cols": 1e300})", "invalid grid columns 1e+300: must be at least 1 and at most 512"},
           {R"({"rows": 2.5})", "invalid grid rows 2.5: must be a whole number"},
           {R"({"cols": 4294967297})", "invalid grid columns 4294967297: must be at least 1 and at most 512"}}) {
    const std::string path = dir + "/params.json";
    test::write_text(path, json);
    std::string output;
    EXPECT_EQ(test::run_rlplace("eval --netlist " + netlist + " --config " + path, output), 1) << output;
    EXPECT_EQ(output, "rlplace: error: " + path + ": " + expect + "\n");
  }
}

TEST(DiskFull, FailedWriteKeepsThePreviousFile) {
  const std::string dir = test::temp_dir("disk_full");
  const std::string path = dir + "/state.json";
  write_file_atomic(path, "{\"iteration\": 7}\n");
  // Within the limit, the child's write works: the limit is what makes the next one fail.
  EXPECT_EQ(with_file_size_limit(1 << 16, [&] { write_file_atomic(dir + "/small.txt", "fits"); }), "ok");
  ASSERT_EQ(file_bytes(dir + "/small.txt"), "fits");
  std::filesystem::remove(dir + "/small.txt");

  const std::string big(1 << 20, 'x');
  const std::string msg = with_file_size_limit(4096, [&] { write_file_atomic(path, big); });
  EXPECT_EQ(msg.rfind(path + ": write failed: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(std::strerror(EFBIG)), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(file_bytes(path), "{\"iteration\": 7}\n");
  EXPECT_EQ(files_in(dir), 1) << "a temporary file was left behind";
}

TEST(DiskFull, FailedPlcWriteKeepsThePreviousPlacement) {
  const std::string netlist = test::data("netlists/data/ct_samples/sample_clustered/netlist.pb.txt");
  const Design d = load_design(netlist, test::data("netlists/data/ct_samples/sample_clustered/initial.plc"));
  const std::string dir = test::temp_dir("disk_full_plc");
  const std::string path = dir + "/out.plc";
  write_plc(path, d.netlist, d.placement, to_plc_header(d.params));
  const std::string before = file_bytes(path);
  ASSERT_GT(before.size(), 512u);

  Placement moved = d.placement;
  for (double& x : moved.x) x += 1;
  const std::string msg =
      with_file_size_limit(256, [&] { write_plc(path, d.netlist, moved, to_plc_header(d.params)); });
  EXPECT_EQ(msg.rfind(path + ": write failed: ", 0), 0u) << msg;
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(files_in(dir), 1) << "a temporary file was left behind";
  // What is there still reads back whole.
  const Design back = load_design(netlist, path);
  EXPECT_EQ(back.placement.x, d.placement.x);
}

}  // namespace
}  // namespace rlplace
