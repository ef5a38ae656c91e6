// Tests that run the rlplace binary (train, place --placer rl): SIGKILL and resume, one-line
// refusals, the policy placer against the trainer, the bundled policy, corrupt checkpoints,
// the run-directory lock between processes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/design.h"
#include "netlists/io.h"
#include "netlists/plc.h"
#include "placer/env.h"
#include "rl/config.h"
#include "rl/policy_placer.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/tensorboard.h"
#include "rl/trainer.h"
#include "tests/rl_test_util.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

TEST(RlTraining, SigkillMidIterationLosesNoFinishedIteration) {
  const std::string base = temp_dir("rl_kill");
  const std::string args = fmt::format(
      "train --netlist {} --plc {} --netlist {} --plc {} --seed 7 --workers 2 --episodes-per-iteration 8 --quiet "
      "--config {}/config.json",
      kTinyNetlist, kTinyPlc, kSampleNetlist, kSamplePlc, base);
  TrainConfig c = small_config();
  c.ppo.minibatch = 16;
  test::write_text(base + "/config.json", c.to_json());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = fmt::format("exec {} {} --out {}/killed --iterations 1000 >/dev/null 2>&1", RLPLACE_BINARY, args, base);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for two committed iterations, then kill it partway through the next one.
  const auto t0 = std::chrono::steady_clock::now();
  int64_t committed = 0;
  auto iteration_of = [&]() -> int64_t {
    try {
      return nlohmann::json::parse(read_file(base + "/killed/state.json")).at("iteration").get<int64_t>();
    } catch (...) {
      return -1;
    }
  };
  while ((committed = iteration_of()) < 2 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(committed, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int64_t k = iteration_of();
  ASSERT_GE(k, 2);

  std::string out;
  ASSERT_EQ(run_command(fmt::format("{} --out {}/killed --iterations {} --resume", args, base, k + 2), out), 0) << out;
  ASSERT_EQ(run_command(fmt::format("{} --out {}/whole --iterations {}", args, base, k + 2), out), 0) << out;
  expect_same_metrics(base + "/whole/metrics.csv", base + "/killed/metrics.csv", k + 3);
}

TEST(RlCommand, TrainRefusesBadRequestsWithOneLine) {
  const std::string base = temp_dir("rl_cli");
  std::string out;
  const std::string tiny = fmt::format("--netlist {} --plc {}", kTinyNetlist, kTinyPlc);
  test::write_text(base + "/config.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 2})");
  const std::string cfg = " --config " + base + "/config.json";
  ASSERT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 1 --quiet{}", tiny, base, cfg), out), 0) << out;
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 2{}", tiny, base, cfg), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/run: already holds a training run; add --resume to continue it or choose "
                             "another --out\n", base));
  EXPECT_EQ(run_command(fmt::format("train --netlist {} --plc {} --out {}/run --iterations 2 --resume{}", kSampleNetlist,
                                    kSamplePlc, base, cfg), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/run: the netlists differ from those of the run being resumed\n", base));
  test::write_text(base + "/other.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 3})");
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 2 --resume --config {}/other.json", tiny, base, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/run: --config differs from the configuration of the run being resumed\n", base));
  EXPECT_EQ(run_command(fmt::format("train --plc {} --netlist {} --out {}/x --iterations 1", kTinyPlc, kTinyNetlist, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: --plc {} has no --netlist before it\n", kTinyPlc));
  EXPECT_EQ(run_command(fmt::format("train --netlist {}/missing.pb.txt --out {}/y --iterations 1", base, base), out), 1);
  EXPECT_NE(out.find("missing.pb.txt"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/z", tiny, base), out), 1);
  EXPECT_EQ(out, "rlplace: error: train: give --iterations N or --minutes M\n");
  test::write_text(base + "/bad.json", R"({"ppo": {"epochs": 0}})");
  EXPECT_EQ(run_command(fmt::format("train {} --out {}/w --iterations 1 --config {}/bad.json", tiny, base, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/bad.json: training config: ppo.epochs must be at least 1 (got 0)\n", base));
  // The resumed run goes on from iteration 1.
  ASSERT_EQ(run_command(fmt::format("train {} --out {}/run --iterations 2 --resume --quiet", tiny, base), out), 0) << out;
  EXPECT_NE(out.find("1 iteration in this run, 2 in all"), std::string::npos) << out;
}

TEST(RlCommand, PlaceWithThePolicyRepeatsTheTrainersGreedyEpisode) {
  const std::string base = temp_dir("rl_place");
  std::string out;
  test::write_text(base + "/config.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 4})");
  ASSERT_EQ(run_command(fmt::format("train --netlist {} --plc {} --out {}/run --iterations 2 --quiet --config {}/config.json",
                                    kTinyNetlist, kTinyPlc, base, base), out), 0) << out;
  const auto csv = read_csv(base + "/run/metrics.csv");
  const size_t c = std::find(csv[0].begin(), csv[0].end(), "tiny3/greedy_proxy") - csv[0].begin();
  // --beam 0: the greedy decode alone, as the trainer's greedy episode is.
  ASSERT_EQ(run_command(fmt::format("place --placer policy --beam 0 --policy {}/run --netlist {} --plc {} --out {}/p.plc --json", base,
                                    kTinyNetlist, kTinyPlc, base), out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(fmt::format("{}", j["proxy_cost"].get<double>()), csv.back()[c]);
  EXPECT_TRUE(j["legal"].get<bool>());
  ASSERT_EQ(run_command(fmt::format("eval --netlist {} --plc {}/p.plc --json", kTinyNetlist, base), out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["proxy_cost"], j["proxy_cost"]);
  // Sampling more episodes can only keep or improve the greedy one.
  ASSERT_EQ(run_command(fmt::format("place --placer policy --policy {}/run/checkpoints/policy-000002.pt --samples 20 --netlist {} "
                                    "--plc {} --out {}/s.plc --json", base, kTinyNetlist, kTinyPlc, base), out), 0) << out;
  EXPECT_LE(nlohmann::json::parse(out)["proxy_cost"].get<double>(), j["proxy_cost"].get<double>());
  EXPECT_EQ(run_command(fmt::format("place --placer policy --policy {}/config.json --netlist {} --plc {} --out {}/q.plc", base,
                                    kTinyNetlist, kTinyPlc, base), out), 1);
  EXPECT_EQ(out.rfind(fmt::format("rlplace: error: {}/config.json: ", base), 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_EQ(run_command(fmt::format("place --placer policy --policy {}/nothing --netlist {} --plc {} --out {}/q.plc", base,
                                    kTinyNetlist, kTinyPlc, base), out), 1);
  EXPECT_EQ(out, fmt::format("rlplace: error: {}/nothing: no such policy checkpoint or training directory\n", base));
}

// A beam is a copy of the environment per kept placement: widths past 1,024 (and expansions
// below one) are refused before anything runs, with one line naming the option.
TEST(RlCommand, PlaceRefusesABeamOutOfRange) {
  const std::string base = temp_dir("rl_beam_range");
  std::string out;
  for (const char* bad : {"--beam 1025", "--beam -1", "--beam-expand 0"}) {
    EXPECT_EQ(run_command(fmt::format("place --placer policy {} --netlist {} --plc {} --out {}/p.plc", bad, kTinyNetlist,
                                      kTinyPlc, base), out), 1) << bad;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(base + "/p.plc")) << bad;
  }
}

TEST(RlCommand, BundledPretrainedPolicyBeatsTheGreedyPlacerOnAriane) {
  // Without --policy, the policy placers use netlists/data/policies/pretrained.pt.
  const std::string base = temp_dir("rl_bundled");
  const std::string nl = data("netlists/data/ariane133_ng45/netlist.pb.txt.gz"), plc = data("netlists/data/ariane133_ng45/legalized.plc");
  std::string out;
  ASSERT_EQ(run_command(fmt::format("place --placer policy --netlist {} --plc {} --out {}/p.plc --json", nl, plc, base), out), 0) << out;
  const auto policy = nlohmann::json::parse(out);
  ASSERT_EQ(run_command(fmt::format("place --placer greedy --netlist {} --plc {} --out {}/g.plc --json", nl, plc, base), out), 0) << out;
  const auto greedy = nlohmann::json::parse(out);
  EXPECT_TRUE(policy["legal"].get<bool>());
  EXPECT_LT(policy["proxy_cost"].get<double>(), greedy["proxy_cost"].get<double>());
  // The learned pipeline searches from the policy's best episode: never worse than the
  // greedy decode, and the file it writes scores what it printed.
  ASSERT_EQ(run_command(fmt::format("place --placer rl --seconds 4 --threads 2 --netlist {} --plc {} --out {}/rl.plc --json", nl,
                                    plc, base), out), 0) << out;
  const auto rl = nlohmann::json::parse(out);
  EXPECT_TRUE(rl["legal"].get<bool>());
  EXPECT_LT(rl["proxy_cost"].get<double>(), policy["proxy_cost"].get<double>());
  ASSERT_EQ(run_command(fmt::format("eval --netlist {} --plc {}/rl.plc --json", nl, base), out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["proxy_cost"], rl["proxy_cost"]);
}

// A designer's own placement competes with the policy's episodes as the search's start. On
// simple_with_coords the input's positions, legalized, cost 0.4239 and the bundled policy's
// greedy decode 0.4617; with no time left to search, the pipeline returns its start.
TEST(RlCommand, TheInputPlacementStartsTheSearchWhenItCostsLessThanThePolicys) {
  const std::string base = temp_dir("rl_input_start");
  const std::string nl = data("netlists/data/ct_samples/simple_with_coords/netlist.pb.txt");
  const std::string plc = data("netlists/data/ct_samples/simple_with_coords/initial.plc");
  std::string out;
  ASSERT_EQ(run_command(fmt::format("place --placer legalize --netlist {} --plc {} --out {}/l.plc --json", nl, plc, base), out),
            0) << out;
  const double input = nlohmann::json::parse(out)["proxy_cost"].get<double>();
  ASSERT_EQ(run_command(fmt::format("place --placer policy --beam 0 --netlist {} --plc {} --out {}/p.plc --json", nl, plc,
                                    base), out), 0) << out;
  EXPECT_GT(nlohmann::json::parse(out)["proxy_cost"].get<double>(), input + 0.03);
  ASSERT_EQ(run_command(fmt::format("place --placer rl --seconds 0.001 --threads 1 --netlist {} --plc {} --out {}/rl.plc", nl,
                                    plc, base), out), 0) << out;
  EXPECT_NE(out.find(fmt::format("; the input's positions, legalized, start lower ({:.6f}), no time left to search", input)),
            std::string::npos) << out;
  ASSERT_EQ(run_command(fmt::format("eval --netlist {} --plc {}/rl.plc --json", nl, base), out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["proxy_cost"].get<double>(), input);
  // --json says the same, so that measurements record which start the search took.
  ASSERT_EQ(run_command(fmt::format("place --placer rl --seconds 0.001 --threads 1 --netlist {} --plc {} --out {}/rl.plc --json",
                                    nl, plc, base), out), 0) << out;
  EXPECT_NE(nlohmann::json::parse(out)["how"].get<std::string>().find("the input's positions, legalized, start lower"),
            std::string::npos) << out;
}

// From --seconds 120 the pipeline anneals its start with sa's own schedule. On
// simple_with_coords its start is the input's (above), so with a --moves budget it must place
// exactly as `sa` does from the input; below 120 s it refines cold.
TEST(RlCommand, FromTwoMinutesThePipelineAnnealsItsStartWithSasSchedule) {
  const std::string base = temp_dir("rl_hot");
  const std::string nl = data("netlists/data/ct_samples/simple_with_coords/netlist.pb.txt");
  const std::string plc = data("netlists/data/ct_samples/simple_with_coords/initial.plc");
  const std::string common = fmt::format(" --moves 3000 --threads 1 --seed 3 --netlist {} --plc {} --json", nl, plc);
  std::string out;
  ASSERT_EQ(run_command(fmt::format("place --placer sa --out {}/sa.plc", base) + common, out), 0) << out;
  const auto sa = nlohmann::json::parse(out);
  ASSERT_EQ(run_command(fmt::format("place --placer rl --seconds 120 --out {}/hot.plc", base) + common, out), 0) << out;
  const auto hot = nlohmann::json::parse(out);
  EXPECT_NE(hot["how"].get<std::string>().find("start lower"), std::string::npos) << out;
  EXPECT_NE(hot["how"].get<std::string>().find("'sa' (annealing: "), std::string::npos) << out;
  EXPECT_EQ(hot["proxy_cost"].get<double>(), sa["proxy_cost"].get<double>());
  // The same positions line for line; the header comments differ in what they say.
  auto positions = [](const std::string& path) {
    std::istringstream in(test::read_text(path));
    std::string line, kept;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') kept += line + "\n";
    return kept;
  };
  EXPECT_FALSE(positions(base + "/sa.plc").empty());
  EXPECT_EQ(positions(base + "/hot.plc"), positions(base + "/sa.plc"));
  ASSERT_EQ(run_command(fmt::format("place --placer rl --seconds 119 --out {}/cold.plc", base) + common, out), 0) << out;
  const auto cold = nlohmann::json::parse(out);
  EXPECT_NE(cold["how"].get<std::string>().find("'sa' (annealing refinement: "), std::string::npos) << out;
  EXPECT_TRUE(cold["legal"].get<bool>());
}

TEST(RlCommand, ACorruptCheckpointIsRefusedByPlaceAndReplacedOnResume) {
  const std::string base = temp_dir("rl_cli_corrupt");
  std::string out;
  test::write_text(base + "/config.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 2})");
  const std::string train_args = fmt::format("train --netlist {} --plc {} --out {}/run --quiet --config {}/config.json",
                                             kTinyNetlist, kTinyPlc, base, base);
  ASSERT_EQ(run_command(train_args + " --iterations 2", out), 0) << out;
  const std::string latest = base + "/run/checkpoints/policy-000002.pt";
  std::string bytes = read_file(latest);
  for (size_t i = 0; i < 64; ++i) bytes[bytes.size() / 2 + i] = '\xff';
  test::write_text(latest, bytes);
  // place refuses the corrupt policy with one line naming it.
  EXPECT_EQ(run_command(fmt::format("place --placer policy --policy {}/run --netlist {} --plc {} --out {}/p.plc", base,
                                    kTinyNetlist, kTinyPlc, base), out), 1);
  EXPECT_EQ(out.rfind(fmt::format("rlplace: error: {}: ", latest), 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  // --resume warns once and goes on from the previous iteration.
  ASSERT_EQ(run_command(train_args + " --iterations 3 --resume", out), 0) << out;
  EXPECT_EQ(out.rfind(fmt::format("rlplace: warning: {}: ", latest), 0), 0u) << out;
  EXPECT_NE(out.find("; resuming from iteration 1 instead\n"), std::string::npos) << out;
  EXPECT_NE(out.find("trained          2 iterations in this run, 3 in all"), std::string::npos) << out;
  ASSERT_EQ(run_command(fmt::format("place --placer policy --policy {}/run --netlist {} --plc {} --out {}/p.plc", base,
                                    kTinyNetlist, kTinyPlc, base), out), 0) << out;
}

TEST(RlCommand, ASecondWriterIsRefusedWhileARunIsGoing) {
  const std::string base = temp_dir("rl_cli_lock");
  test::write_text(base + "/config.json", R"({"gnn": {"grid": 8, "policy_channels": 8}, "episodes_per_iteration": 4})");
  const std::string args = fmt::format("train --netlist {} --plc {} --out {}/run --quiet --config {}/config.json",
                                       kTinyNetlist, kTinyPlc, base, base);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = fmt::format("exec {} {} --iterations 100000 >/dev/null 2>&1", RLPLACE_BINARY, args);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (!std::filesystem::exists(base + "/run/state.json") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::string out;
  const std::string refused =
      fmt::format("rlplace: error: {0}/run: another rlplace train is writing this run directory ({0}/run/lock is held)\n", base);
  EXPECT_EQ(run_command(args + " --iterations 100000 --resume", out), 1);
  EXPECT_EQ(out, refused);
  EXPECT_EQ(run_command(args + " --iterations 100000", out), 1);  // a fresh run into it too
  EXPECT_EQ(out, refused);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  // The killed run's lock died with it.
  const int64_t k = nlohmann::json::parse(read_file(base + "/run/state.json")).at("iteration").get<int64_t>();
  ASSERT_EQ(run_command(fmt::format("{} --iterations {} --resume", args, k + 1), out), 0) << out;
}

}  // namespace
}  // namespace rlplace::rl
