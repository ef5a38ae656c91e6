// Ranks as processes of the built binary, started as torchrun would (its variables) or by
// `train --nproc-per-node`: a rank killed or frozen ends the other with a line naming it,
// and --resume continues from the last committed iteration.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "tests/rl_test_util.h"

namespace rlplace::rl {
namespace {

using namespace std::chrono_literals;

// One rank of `world`, its output in `log`.
pid_t start_rank(int rank, int world, int port, const std::string& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
    setenv("RANK", std::to_string(rank).c_str(), 1);
    setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    setenv("MASTER_ADDR", "127.0.0.1", 1);
    setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string cmd = std::string("exec ") + RLPLACE_BINARY + " " + args;
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// The exit status, or -1 (and the process killed) after `limit`.
int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    int ws = 0;
    if (waitpid(pid, &ws, WNOHANG) == pid) return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    std::this_thread::sleep_for(50ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// Waits until metrics.csv has `rows` data rows (true) or `limit` passes.
bool wait_for_rows(const std::string& csv, size_t rows, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (std::filesystem::exists(csv) && read_csv(csv).size() >= rows + 1) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

struct Fixture {
  std::string base, args;
};

Fixture fixture(const std::string& name) {
  Fixture f;
  f.base = temp_dir(name);
  test::write_text(f.base + "/config.json",
                   R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 4, "learner_threads": 1})");
  f.args = fmt::format("train --netlist {} --plc {} --out {}/run --workers 1 --quiet --config {}/config.json "
                       "--dist-timeout 8",
                       kTinyNetlist, kTinyPlc, f.base, f.base);
  return f;
}

// Kills (or freezes) rank 1 once two iterations are committed; rank 0 must stop within the
// timeout with the line naming rank 1, and a single process resumes the run.
void rank_one_stops(const std::string& name, int sig) {
  const Fixture f = fixture(name);
  const std::string args = f.args + " --iterations 100000";
  const int port = free_loopback_port();
  const pid_t r0 = start_rank(0, 2, port, args, f.base + "/rank0.log");
  const pid_t r1 = start_rank(1, 2, port, args, f.base + "/rank1.log");
  ASSERT_TRUE(wait_for_rows(f.base + "/run/metrics.csv", 2, 120s)) << test::read_text(f.base + "/rank0.log");
  kill(r1, sig);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for(r0, 60s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 40s);
  kill(r1, SIGKILL);
  waitpid(r1, nullptr, 0);
  const std::string log = test::read_text(f.base + "/rank0.log");
  EXPECT_EQ(log.rfind("rlplace: error: rank 1 stopped responding (", 0), 0u) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;

  // Nothing committed is lost: one process continues from the last committed iteration.
  const size_t committed = read_csv(f.base + "/run/metrics.csv").size() - 1;  // rows 0 .. committed - 1
  std::string out;
  ASSERT_EQ(run_command(fmt::format("{} --iterations {} --resume", f.args, committed), out), 0) << out;
  EXPECT_EQ(read_csv(f.base + "/run/metrics.csv").size(), committed + 2);
}

TEST(CliRlDistributed, AKilledRankEndsTheOtherNamingIt) { rank_one_stops("cli_dist_kill", SIGKILL); }

TEST(CliRlDistributed, AFrozenRankEndsTheOtherAfterTheTimeout) { rank_one_stops("cli_dist_stop", SIGSTOP); }

TEST(CliRlDistributed, NprocPerNodeRunsTheRanksAndMatchesOneProcess) {
  const Fixture f = fixture("cli_dist_nproc");
  std::string out;
  ASSERT_EQ(run_command(f.args + " --iterations 2 --nproc-per-node 2", out), 0) << out;
  EXPECT_NE(out.find("trained          2 iterations in this run, 2 in all"), std::string::npos) << out;
  const std::string single = fmt::format("train --netlist {} --plc {} --out {}/one --workers 1 --quiet --config "
                                         "{}/config.json --iterations 2",
                                         kTinyNetlist, kTinyPlc, f.base, f.base);
  ASSERT_EQ(run_command(single, out), 0) << out;
  const auto a = weights(f.base + "/run/checkpoints/policy-000002.pt");
  const auto b = weights(f.base + "/one/checkpoints/policy-000002.pt");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LT((a[i] - b[i]).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace rlplace::rl
