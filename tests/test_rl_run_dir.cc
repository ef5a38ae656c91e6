// The run directory without a training run: checkpoint names, the commit and its rotation,
// resume checks, the fallback to the previous intact checkpoint, and the lock (with other
// processes).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlists/io.h"
#include "netlists/netlist.h"
#include "rl/run_dir.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A state as the trainer writes it, for iteration `it` of a run on one netlist.
json fake_state(int64_t it, const std::string& netlist = "/n/netlist.pb.txt") {
  return {{"format", kStateFormat},
          {"version", kStateVersion},
          {"iteration", it},
          {"seed", 7},
          {"config", json::parse(TrainConfig{}.to_json())},
          {"train", json::array({{{"label", "n"}, {"netlist", netlist}, {"plc", ""}}})},
          {"eval", json::array()},
          {"checkpoint", checkpoint_name(it)},
          {"optimizer", optimizer_name(it)}};
}

// Commits iterations 0..last with text files standing in for the checkpoints.
void commit_fake_run(const RunDir& dir, int64_t last) {
  for (int64_t it = 0; it <= last; ++it)
    dir.commit(it, fake_state(it), [&](const std::string& policy, const std::string& optimizer) {
      test::write_text(policy, fmt::format("policy {}", it));
      test::write_text(optimizer, fmt::format("optimizer {}", it));
    });
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(RlRunDir, CheckpointNamesAndPolicyResolution) {
  EXPECT_EQ(checkpoint_name(7), "checkpoints/policy-000007.pt");
  EXPECT_EQ(optimizer_name(123456), "checkpoints/optimizer-123456.pt");
  EXPECT_EQ(state_copy_name(0), "checkpoints/state-000000.json");
  const std::string base = test::temp_dir("rl_rundir_resolve");
  {
    RunDir dir(base + "/run");
    commit_fake_run(dir, 3);
  }
  EXPECT_EQ(resolve_policy(base + "/run"), base + "/run/checkpoints/policy-000003.pt");
  EXPECT_EQ(resolve_policy(base + "/run/checkpoints/policy-000002.pt"), base + "/run/checkpoints/policy-000002.pt");
  EXPECT_EQ(error_of([&] { resolve_policy(base + "/nothing"); }),
            base + "/nothing: no such policy checkpoint or training directory");
  EXPECT_EQ(error_of([&] { resolve_policy(base); }), base + ": a directory without state.json is not a training run");
}

TEST(RlRunDir, CommitWritesTheStateLastAndKeepsTwoIterations) {
  const std::string base = test::temp_dir("rl_rundir_commit") + "/run";
  RunDir dir(base);
  EXPECT_FALSE(dir.has_state());
  commit_fake_run(dir, 4);
  EXPECT_TRUE(dir.has_state());
  EXPECT_EQ(dir.read_state(), fake_state(4));
  EXPECT_EQ(read_file(base + "/state.json"), fake_state(4).dump(1));
  EXPECT_EQ(read_file(base + "/" + state_copy_name(3)), fake_state(3).dump(1));
  for (int64_t it = 0; it <= 4; ++it) {
    const bool kept = it >= 3;
    EXPECT_EQ(fs::exists(base + "/" + checkpoint_name(it)), kept) << it;
    EXPECT_EQ(fs::exists(base + "/" + optimizer_name(it)), kept) << it;
    EXPECT_EQ(fs::exists(base + "/" + state_copy_name(it)), kept) << it;
  }
  EXPECT_EQ(read_file(base + "/" + checkpoint_name(4)), "policy 4");
  // A commit whose files fail leaves the previous state in place.
  EXPECT_THROW(dir.commit(5, fake_state(5), [](const std::string&, const std::string&) {
    throw std::runtime_error("disk full");
  }),
               std::runtime_error);
  EXPECT_EQ(dir.read_state(), fake_state(4));
  EXPECT_TRUE(fs::exists(base + "/" + checkpoint_name(3)));
}

TEST(RlRunDir, KeepsThePolicyOfEveryKthIterationWhenAsked) {
  const std::string base = test::temp_dir("rl_rundir_keep") + "/run";
  RunDir dir(base);
  dir.keep_policies_every(3);
  commit_fake_run(dir, 7);
  for (int64_t it = 0; it <= 7; ++it) {
    const bool last_two = it >= 6;
    EXPECT_EQ(fs::exists(base + "/" + checkpoint_name(it)), last_two || it % 3 == 0) << it;
    EXPECT_EQ(fs::exists(base + "/" + optimizer_name(it)), last_two) << it;
    EXPECT_EQ(fs::exists(base + "/" + state_copy_name(it)), last_two) << it;
  }
  EXPECT_EQ(read_file(base + "/" + checkpoint_name(3)), "policy 3");
}

TEST(RlRunDir, ResumeChecksTheNetlistsAndConfiguration) {
  const json state = fake_state(2);
  ResumeRequest r;
  r.given.train = {{"/n/netlist.pb.txt", ""}};
  const RunIdentity id = resume_identity(state, "S", "D", r);
  EXPECT_EQ(id.seed, 7u);
  ASSERT_EQ(id.train.size(), 1u);
  EXPECT_EQ(id.train[0].netlist, "/n/netlist.pb.txt");
  EXPECT_EQ(id.config.to_json(), TrainConfig{}.to_json());

  ResumeRequest other = r;
  other.given.train = {{"/n/other.pb.txt", ""}};
  EXPECT_EQ(error_of([&] { resume_identity(state, "S", "D", other); }),
            "D: the netlists differ from those of the run being resumed");
  ResumeRequest config = r;
  config.config_given = true;
  config.given.config.episodes_per_iteration = 3;
  EXPECT_EQ(error_of([&] { resume_identity(state, "S", "D", config); }),
            "D: --config differs from the configuration of the run being resumed");
  config.given.config = TrainConfig{};
  EXPECT_NO_THROW(resume_identity(state, "S", "D", config));  // the same configuration given again

  json foreign = state;
  foreign["format"] = "something";
  EXPECT_EQ(error_of([&] { resume_identity(foreign, "S", "D", r); }), "S: not a training state file");
  json newer = state;
  newer["version"] = kStateVersion + 1;
  EXPECT_EQ(error_of([&] { resume_identity(newer, "S", "D", r); }), "S: state version 2 (this rlplace reads 1)");
  json broken = state;
  broken.erase("seed");
  EXPECT_EQ(error_of([&] { resume_identity(broken, "S", "D", r); }).rfind("S: corrupt training state (", 0), 0u);
  json bad_config = state;
  bad_config["config"]["ppo"]["epochs"] = 0;
  EXPECT_EQ(error_of([&] { resume_identity(bad_config, "S", "D", r); }),
            "S: training config: ppo.epochs must be at least 1 (got 0)");
}

TEST(RlRunDir, ACorruptLatestCheckpointFallsBackToThePreviousIterationOrStops) {
  const std::string base = test::temp_dir("rl_rundir_intact") + "/run";
  RunDir dir(base);
  commit_fake_run(dir, 3);
  // The verifier stands in for loading the weights: it refuses the files marked corrupt.
  auto verify = [&](const json& s) {
    const std::string path = dir.file(s.at("checkpoint").get<std::string>());
    if (read_file(path).find("corrupt") != std::string::npos) throw std::runtime_error(path + ": corrupt checkpoint");
  };
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& w) { warnings.push_back(w); };
  EXPECT_EQ(dir.intact_state(verify, warn), fake_state(3));
  EXPECT_TRUE(warnings.empty());

  test::write_text(dir.file(checkpoint_name(3)), "corrupt");
  EXPECT_EQ(dir.intact_state(verify, warn), fake_state(2));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], fmt::format("{}/{}: corrupt checkpoint; resuming from iteration 2 instead", base,
                                     checkpoint_name(3)));

  test::write_text(dir.file(checkpoint_name(2)), "corrupt");
  const std::string e = error_of([&] { dir.intact_state(verify, warn); });
  EXPECT_EQ(e, fmt::format("{0}/{1}: corrupt checkpoint; the previous iteration's checkpoint is unusable too: "
                           "{0}/{2}: corrupt checkpoint",
                           base, checkpoint_name(3), checkpoint_name(2)));
  EXPECT_EQ(e.find('\n'), std::string::npos);
  fs::remove(dir.file(state_copy_name(2)));
  EXPECT_EQ(error_of([&] { dir.intact_state(verify, warn); }),
            fmt::format("{}/{}: corrupt checkpoint; no earlier intact checkpoint to resume from", base, checkpoint_name(3)));
}

// Runs `f` in a forked child; its exit status.
int in_child(const std::function<int()>& f) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = f();
    } catch (...) {
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RlRunDir, TheLockRefusesASecondWriterAndDiesWithItsProcess) {
  const std::string base = test::temp_dir("rl_rundir_lock") + "/run";
  auto try_lock = [&] {
    try {
      RunDir second(base);
      return 0;
    } catch (const InputError& e) {
      return std::string(e.what()) ==
                     fmt::format("{0}: another rlplace train is writing this run directory ({0}/lock is held)", base)
                 ? 1
                 : 2;
    }
  };
  {
    RunDir first(base);
    EXPECT_EQ(in_child(try_lock), 1);  // another process is refused
  }
  EXPECT_EQ(in_child(try_lock), 0);  // released with the RunDir

  // A process that dies holding the lock (SIGKILL: no destructor runs) releases it.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t holder = fork();
  if (holder == 0) {
    RunDir held(base);
    const char c = 'x';
    if (write(ready[1], &c, 1) != 1) _exit(3);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(in_child(try_lock), 1);
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  EXPECT_EQ(in_child(try_lock), 0);
  EXPECT_NO_THROW(RunDir again(base));
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace rlplace::rl
