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
  const Design d = load_design(test::data("netlists/ariane133_ng45/netlist.pb.txt.gz"),
                               test::data("netlists/ariane133_ng45/legalized.plc"));
  const std::string dir = test::temp_dir("disk_full_plc");
  const std::string path = dir + "/out.plc";
  write_plc(path, d.netlist, d.placement, to_plc_header(d.params));
  const std::string before = file_bytes(path);
  ASSERT_GT(before.size(), 16384u);

  Placement moved = d.placement;
  for (double& x : moved.x) x += 1;
  const std::string msg =
      with_file_size_limit(8192, [&] { write_plc(path, d.netlist, moved, to_plc_header(d.params)); });
  EXPECT_EQ(msg.rfind(path + ": write failed: ", 0), 0u) << msg;
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(files_in(dir), 1) << "a temporary file was left behind";
  // What is there still reads back whole.
  const Design back = load_design(test::data("netlists/ariane133_ng45/netlist.pb.txt.gz"), path);
  EXPECT_EQ(back.placement.x, d.placement.x);
}

}  // namespace
}  // namespace rlplace
