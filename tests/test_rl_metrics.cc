// The metrics log: TensorBoard event files, columns, CSV.
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
#include "rl/metrics_log.h"
#include "rl/policy_placer.h"
#include "rl/ppo.h"
#include "rl/rollout.h"
#include "rl/tensorboard.h"
#include "rl/trainer.h"
#include "tests/rl_test_util.h"
#include "tests/test_util.h"

namespace rlplace::rl {
namespace {

TEST(RlTensorboard, CrcAndEventsReadBack) {
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);  // the CRC-32C check value
  EXPECT_EQ(crc32c("", 0), 0u);
  const std::string dir = temp_dir("rl_tb");
  std::string path;
  {
    EventWriter w(dir);
    path = w.path();
    w.scalars(1, {{"a/loss", 0.5}, {"b", -2.25}}, 1000.0);
    w.scalars(2, {{"a/loss", 0.25}}, 1001.0);
  }
  const auto ev = read_scalar_events(path);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].step, 1);
  EXPECT_EQ(ev[0].tag, "a/loss");
  EXPECT_EQ(ev[0].value, 0.5f);
  EXPECT_EQ(ev[1].tag, "b");
  EXPECT_EQ(ev[1].value, -2.25f);
  EXPECT_EQ(ev[2].step, 2);
  // A flipped byte is caught by the checksums.
  std::string bytes = read_file(path);
  bytes[bytes.size() - 6] ^= 0x20;
  test::write_text(path, bytes);
  EXPECT_THROW(read_scalar_events(path), std::runtime_error);
}

TEST(RlMetricsLog, ColumnsOrderedRowsAndCsv) {
  const auto columns = metric_columns({"a"}, {"b"});
  ASSERT_EQ(columns.size(), 19u + 9u + 4u);
  EXPECT_EQ(columns[0], "iteration");
  EXPECT_EQ(columns[19], "a/mean_proxy");
  EXPECT_EQ(columns.back(), "eval:b/greedy_congestion");
  EXPECT_EQ(csv_value(0.1), "0.1");
  EXPECT_EQ(csv_value(std::nan("")), "");

  const std::string dir = temp_dir("rl_metrics");
  MetricsLog log(dir, {"iteration", "x", "y"});
  const MetricsRow row = log.ordered({{"y", 2.5}, {"iteration", 1}});
  ASSERT_EQ(row.size(), 3u);
  EXPECT_EQ(row[0], (std::pair<std::string, double>{"iteration", 1}));
  EXPECT_TRUE(std::isnan(row[1].second));
  log.add(row);
  log.write(1, row);
  EXPECT_EQ(read_file(dir + "/metrics.csv"), "iteration,x,y\n1,,2.5\n");
  ASSERT_EQ(log.history().size(), 1u);
  EXPECT_TRUE(log.history()[0][1].is_null());
  // A resumed log starts from the stored history.
  MetricsLog resumed(dir, {"iteration", "x", "y"}, log.history());
  resumed.add(resumed.ordered({{"iteration", 2}, {"x", 1e-300}}));
  EXPECT_EQ(resumed.csv(), "iteration,x,y\n1,,2.5\n2,1e-300,\n");
}

}  // namespace
}  // namespace rlplace::rl
