// Data-parallel training (rl/distributed.h): ranks as threads of this process, each with
// its own process group over Gloo on the loopback, rendezvous through rank 0's TCPStore (or
// the local launcher's file stores).
// The killed-process cases run the built binary (tests/cli/test_cli_rl_distributed.cc).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "rl/distributed.h"
#include "tests/rl_test_util.h"

namespace rlplace::rl {
namespace {

// tiny3: 6 episodes of 3 steps give 18 samples, two minibatches of 9 a epoch, which
// the ranks' shares cut across.
TrainOptions dist_run(const std::string& out, int64_t iterations) {
  TrainOptions o = tiny_run(out, iterations, 6, 1, 11);
  o.config.ppo.minibatch = 10;
  return o;
}

struct RankRun {
  std::vector<TrainResult> results;
  std::vector<std::string> errors;  // empty: the rank finished
};

// Every rank of a world of `world` as a thread; `adjust(rank, options)` may change one's.
RankRun run_ranks(const TrainOptions& base, int world, double timeout_s = 60,
                  const std::function<void(int, TrainOptions&)>& adjust = {}) {
  const int port = free_loopback_port();
  RankRun run;
  run.results.resize(world);
  run.errors.resize(world);
  std::vector<TrainOptions> options(world, base);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    TrainOptions& o = options[r];
    o.dist.rank = r;
    o.dist.world = world;
    o.dist.local_rank = r;
    o.dist.master_port = port;
    o.dist.timeout_s = timeout_s;
    if (adjust) adjust(r, o);
    threads.emplace_back([&run, &o, r] {
      try {
        run.results[r] = train(o);
      } catch (const std::exception& e) {
        run.errors[r] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  return run;
}

double max_weight_difference(const std::string& a, const std::string& b) {
  const auto wa = weights(a), wb = weights(b);
  EXPECT_EQ(wa.size(), wb.size());
  double d = 0;
  for (size_t i = 0; i < wa.size() && i < wb.size(); ++i) d = std::max(d, (wa[i] - wb[i]).abs().max().item<double>());
  return d;
}

// Every column but the timings equal within `tolerance` (relative to the value's size).
void expect_close_metrics(const std::string& a, const std::string& b, double tolerance) {
  const auto ra = read_csv(a), rb = read_csv(b);
  ASSERT_EQ(ra.size(), rb.size());
  ASSERT_EQ(ra[0], rb[0]);
  for (size_t r = 1; r < ra.size(); ++r)
    for (size_t c = 0; c < ra[0].size(); ++c) {
      if (timing_column(ra[0][c])) continue;
      const double x = std::strtod(ra[r][c].c_str(), nullptr), y = std::strtod(rb[r][c].c_str(), nullptr);
      if (std::isnan(x) && std::isnan(y)) continue;
      EXPECT_NEAR(x, y, tolerance * std::max(1.0, std::abs(x))) << "row " << r << " column " << ra[0][c];
    }
}

// A .plc file's lines but its name and date.
std::vector<std::string> placement_lines(const std::string& plc) {
  std::vector<std::string> kept;
  for (const std::string& l : test::lines_of(test::read_text(plc)))
    if (l.rfind("# This file", 0) != 0 && l.rfind("# Date", 0) != 0) kept.push_back(l);
  return kept;
}

TEST(RlDistributed, TwoRanksLearnWhatOneProcessLearns) {
  const std::string one = temp_dir("rl_dist_one"), two = temp_dir("rl_dist_two");
  const TrainResult single = train(dist_run(one, 2));
  ASSERT_EQ(single.iterations, 2);
  const RankRun run = run_ranks(dist_run(two, 2), 2);
  ASSERT_EQ(run.errors, std::vector<std::string>(2)) << run.errors[0] << " / " << run.errors[1];
  EXPECT_EQ(run.results[0].iterations, 2);
  EXPECT_EQ(run.results[1].iterations, 2);
  // The update moved the weights by far more than the ranks differ from one process.
  EXPECT_GT(max_weight_difference(one + "/checkpoints/policy-000001.pt", one + "/checkpoints/policy-000002.pt"), 1e-3);
  EXPECT_LT(max_weight_difference(one + "/checkpoints/policy-000002.pt", two + "/checkpoints/policy-000002.pt"), 1e-5);
  expect_close_metrics(one + "/metrics.csv", two + "/metrics.csv", 1e-5);
  // Rank 0 alone writes, the best placement too, wherever its episode ran.
  EXPECT_EQ(placement_lines(one + "/best/tiny3.plc"), placement_lines(two + "/best/tiny3.plc"));
}

TEST(RlDistributed, ThreeRanksWithUnevenSharesAgreeToo) {
  // 6 episodes over 3 ranks are even; 7 are not, and a minibatch may miss a rank entirely.
  const std::string one = temp_dir("rl_dist3_one"), three = temp_dir("rl_dist3_three");
  TrainOptions o = dist_run(one, 1);
  o.config.episodes_per_iteration = 7;
  o.config.ppo.minibatch = 4;
  train(o);
  o.out = three;
  const RankRun run = run_ranks(o, 3);
  ASSERT_EQ(run.errors, std::vector<std::string>(3)) << run.errors[0];
  EXPECT_LT(max_weight_difference(one + "/checkpoints/policy-000001.pt", three + "/checkpoints/policy-000001.pt"),
            1e-5);
  expect_close_metrics(one + "/metrics.csv", three + "/metrics.csv", 1e-5);
}

// The greedy evaluation is dealt out (the sample netlist to rank 0, both tiny3 copies to
// rank 1), yet the metrics are one process's, and rank 0 writes the best placements that
// rank 1's greedy episodes found.
TEST(RlDistributed, DealtOutEvaluationGivesOneProcesssMetricsAndPlacements) {
  const std::string one = temp_dir("rl_dist_eval_one"), two = temp_dir("rl_dist_eval_two");
  auto run_of = [](const std::string& out) {
    TrainOptions o = two_netlist_run(out, 2);
    o.eval = {{kTinyNetlist, kTinyPlc}};
    return o;
  };
  train(run_of(one));
  const RankRun run = run_ranks(run_of(two), 2);
  ASSERT_EQ(run.errors, std::vector<std::string>(2)) << run.errors[0] << " / " << run.errors[1];
  expect_close_metrics(one + "/metrics.csv", two + "/metrics.csv", 1e-5);
  const auto header = read_csv(one + "/metrics.csv")[0];
  EXPECT_EQ(std::count_if(header.begin(), header.end(), [](const std::string& c) { return c.find("greedy_proxy") != std::string::npos; }),
            3);
  int placements = 0;
  for (const auto& entry : std::filesystem::directory_iterator(one + "/best")) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(placement_lines(one + "/best/" + name), placement_lines(two + "/best/" + name)) << name;
    ++placements;
  }
  EXPECT_EQ(placements, 2);
}

TEST(RlDistributed, AFailingRankEndsTheOthersNamingItAndTheRunResumesWithOneRank) {
  const std::string one = temp_dir("rl_dist_fail_one"), dir = temp_dir("rl_dist_fail");
  train(dist_run(one, 2));
  // Rank 1's episodes: 1 greedy at iteration 0, 3 sampled and 1 greedy at iteration 1; its
  // 6th episode, the first of iteration 2, fails.
  const RankRun run = run_ranks(dist_run(dir, 2), 2, 20, [](int rank, TrainOptions& o) {
    if (rank != 1) return;
    auto calls = std::make_shared<int>(0);
    o.before_episode = [calls](int, uint64_t) {
      if (++*calls == 6) throw std::runtime_error("injected collector failure");
    };
  });
  EXPECT_NE(run.errors[1].find("injected collector failure"), std::string::npos) << run.errors[1];
  EXPECT_NE(run.errors[0].find("rank 1 failed: injected collector failure"), std::string::npos) << run.errors[0];
  EXPECT_EQ(read_csv(dir + "/metrics.csv").size(), 3u);  // header, iterations 0 and 1

  // The committed iteration stays, and one process continues it as the uninterrupted run did.
  TrainOptions resume = dist_run(dir, 2);
  resume.resume = true;
  EXPECT_EQ(train(resume).iterations, 2);
  EXPECT_LT(max_weight_difference(one + "/checkpoints/policy-000002.pt", dir + "/checkpoints/policy-000002.pt"), 1e-5);
  expect_close_metrics(one + "/metrics.csv", dir + "/metrics.csv", 1e-5);
}

// The local launcher's rendezvous: file stores in a private directory, no TCP store. A file
// store cannot delete keys (rank 0's fetched placements stay) and has no server to lose, so
// a failing rank is found through the heartbeats and reports kept in the files.
TEST(RlDistributed, RanksMeetingThroughFileStoresLearnWhatOneProcessLearnsAndNameAFailingRank) {
  const std::string one = temp_dir("rl_dist_file_one"), two = temp_dir("rl_dist_file_two"),
                    failing = temp_dir("rl_dist_file_fail");
  train(dist_run(one, 2));
  const std::string stores = temp_dir("rl_dist_file_stores");
  const RankRun run = run_ranks(dist_run(two, 2), 2, 60, [&](int, TrainOptions& o) { o.dist.store_dir = stores; });
  ASSERT_EQ(run.errors, std::vector<std::string>(2)) << run.errors[0] << " / " << run.errors[1];
  EXPECT_LT(max_weight_difference(one + "/checkpoints/policy-000002.pt", two + "/checkpoints/policy-000002.pt"), 1e-5);
  expect_close_metrics(one + "/metrics.csv", two + "/metrics.csv", 1e-5);

  const std::string stores2 = temp_dir("rl_dist_file_stores2");
  const RankRun bad = run_ranks(dist_run(failing, 2), 2, 20, [&](int rank, TrainOptions& o) {
    o.dist.store_dir = stores2;
    if (rank != 1) return;
    auto calls = std::make_shared<int>(0);
    o.before_episode = [calls](int, uint64_t) {
      if (++*calls == 6) throw std::runtime_error("injected collector failure");
    };
  });
  EXPECT_NE(bad.errors[0].find("rank 1 failed: injected collector failure"), std::string::npos) << bad.errors[0];
  EXPECT_EQ(read_csv(failing + "/metrics.csv").size(), 3u);  // header, iterations 0 and 1
}

TEST(RlDistributed, ResumesWithMoreRanksThanItStartedWith) {
  const std::string one = temp_dir("rl_dist_grow_one"), dir = temp_dir("rl_dist_grow");
  train(dist_run(one, 2));
  train(dist_run(dir, 1));
  TrainOptions resume = dist_run(dir, 2);
  resume.resume = true;
  const RankRun run = run_ranks(resume, 2);
  ASSERT_EQ(run.errors, std::vector<std::string>(2)) << run.errors[0] << " / " << run.errors[1];
  EXPECT_LT(max_weight_difference(one + "/checkpoints/policy-000002.pt", dir + "/checkpoints/policy-000002.pt"), 1e-5);
  expect_close_metrics(one + "/metrics.csv", dir + "/metrics.csv", 1e-5);
}

TEST(RlDistributed, RankZerosInputErrorReachesTheOtherRanks) {
  const std::string dir = temp_dir("rl_dist_taken");
  train(dist_run(dir, 1));
  const RankRun run = run_ranks(dist_run(dir, 1), 2);  // without --resume
  EXPECT_NE(run.errors[0].find("already holds a training run"), std::string::npos) << run.errors[0];
  EXPECT_NE(run.errors[1].find("rank 0 failed: "), std::string::npos) << run.errors[1];
}

TEST(RlDistributed, EnvironmentFollowsTorchrun) {
  setenv("WORLD_SIZE", "4", 1);
  setenv("RANK", "2", 1);
  setenv("LOCAL_RANK", "0", 1);
  setenv("MASTER_ADDR", "10.0.0.5", 1);
  setenv("MASTER_PORT", "1234", 1);
  DistOptions d = dist_from_environment();
  EXPECT_EQ(d.world, 4);
  EXPECT_EQ(d.rank, 2);
  EXPECT_EQ(d.local_rank, 0);
  EXPECT_EQ(d.local_world, 4);
  EXPECT_EQ(d.master_addr, "10.0.0.5");
  EXPECT_EQ(d.master_port, 1234);
  EXPECT_EQ(d.store_dir, "");  // torchrun's ranks meet through the TCP store
  setenv("RLPLACE_STORE_DIR", "/tmp/ranks", 1);  // the local launcher's
  EXPECT_EQ(dist_from_environment().store_dir, "/tmp/ranks");
  unsetenv("RLPLACE_STORE_DIR");
  setenv("RANK", "4", 1);
  EXPECT_THROW(dist_from_environment(), InputError);
  for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(v);
  d = dist_from_environment();
  EXPECT_EQ(d.world, 1);
  EXPECT_EQ(d.master_addr, "127.0.0.1");
}

}  // namespace
}  // namespace rlplace::rl
