// Checkpoints: round trip, configuration mismatches, corrupt and foreign files, checksums
// and non-finite weights.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <filesystem>
#include <random>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/cuda.h>
#include <torch/serialize/output-archive.h>

#include "cost/design.h"
#include "gnn/config.h"
#include "gnn/features.h"
#include "gnn/model.h"
#include "netlists/io.h"
#include "netlists/netlist_reader.h"
#include "placer/env.h"
#include "tests/gnn_test_util.h"
#include "tests/test_util.h"

namespace rlplace::gnn {
namespace {

// --- Checkpoints ----------------------------------------------------------------------

TEST(GnnCheckpoint, SaveThenLoadGivesIdenticalOutputs) {
  torch::manual_seed(6);
  auto cases = sample_cases();
  const GnnConfig config = small_config();
  PolicyValueNet net(config);
  const GraphBatch b = batch_of(cases, config.grid);
  const PolicyOutput ref = net->forward(b);
  const std::string path = test::temp_dir("gnn_ckpt") + "/policy.pt";
  save_checkpoint(path, *net);
  EXPECT_EQ(checkpoint_config(path), config);

  PolicyValueNet loaded = load_checkpoint(path, torch::kCPU);
  const PolicyOutput a = loaded->forward(b);
  EXPECT_TRUE(torch::equal(a.log_probs, ref.log_probs));
  EXPECT_TRUE(torch::equal(a.value, ref.value));

  torch::manual_seed(99);
  PolicyValueNet other(config);
  EXPECT_FALSE(torch::equal(other->forward(b).value, ref.value));
  load_weights(path, *other);
  const PolicyOutput c = other->forward(b);
  EXPECT_TRUE(torch::equal(c.log_probs, ref.log_probs));
  EXPECT_TRUE(torch::equal(c.value, ref.value));
  // Written atomically: no temporary file left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(GnnCheckpoint, LoadingIntoAnotherConfigurationNamesBoth) {
  const std::string path = test::temp_dir("gnn_ckpt_config") + "/policy.pt";
  PolicyValueNet net(small_config(8));
  save_checkpoint(path, *net);
  PolicyValueNet wider(small_config(16));
  try {
    load_weights(path, *wider);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(small_config(8).to_json()), std::string::npos) << msg;
    EXPECT_NE(msg.find(small_config(16).to_json()), std::string::npos) << msg;
  }
}

TEST(GnnCheckpoint, CorruptForeignAndOtherVersionFilesAreRejected) {
  const std::string dir = test::temp_dir("gnn_ckpt_bad");
  PolicyValueNet net(small_config());
  auto expect_error = [&](const std::string& path, const std::string& needle) {
    try {
      load_weights(path, *net);
      FAIL() << "expected an error for " << path;
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  };
  expect_error(dir + "/missing.pt", "missing.pt");

  test::write_text(dir + "/garbage.pt", "this is not a checkpoint");
  expect_error(dir + "/garbage.pt", "not a readable checkpoint");

  const std::string good = dir + "/good.pt";
  save_checkpoint(good, *net);
  const std::string bytes = read_file(good);
  test::write_text(dir + "/truncated.pt", bytes.substr(0, bytes.size() / 2));
  expect_error(dir + "/truncated.pt", "checkpoint");

  auto write_archive = [&](const std::string& path, const std::string& tag, int64_t version) {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(tag));
    a.write("version", c10::IValue(version));
    a.write("config", c10::IValue(small_config().to_json()));
    a.save_to(path);
  };
  write_archive(dir + "/v2.pt", "rlplace-gnn-checkpoint", kCheckpointVersion + 1);
  expect_error(dir + "/v2.pt", "format version 2");
  write_archive(dir + "/foreign.pt", "something-else", kCheckpointVersion);
  expect_error(dir + "/foreign.pt", "not an rlplace GNN checkpoint");
  write_archive(dir + "/noparams.pt", "rlplace-gnn-checkpoint", kCheckpointVersion);
  expect_error(dir + "/noparams.pt", "corrupt checkpoint");
}

TEST(GnnCheckpoint, AChangedWeightFailsTheChecksumAndNonFiniteWeightsAreRefused) {
  const std::string dir = test::temp_dir("gnn_ckpt_checksum");
  PolicyValueNet net(small_config());
  const torch::Tensor first = net->parameters()[0];
  {
    torch::NoGradGuard no_grad;
    first.fill_(1234.5f);
  }
  const std::string path = dir + "/policy.pt";
  save_checkpoint(path, *net);
  EXPECT_NO_THROW(load_checkpoint(path, torch::kCPU));
  // One float of the weights changed to another finite value: only the checksum sees it.
  std::string bytes = read_file(path);
  const float from = 1234.5f, to = 1234.25f;
  const size_t at = bytes.find(std::string(reinterpret_cast<const char*>(&from), sizeof from));
  ASSERT_NE(at, std::string::npos);
  std::memcpy(&bytes[at], &to, sizeof to);
  test::write_text(dir + "/changed.pt", bytes);
  try {
    load_checkpoint(dir + "/changed.pt", torch::kCPU);
    FAIL() << "expected a checksum error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(dir + "/changed.pt: corrupt checkpoint: checksum ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // NaN weights saved with a matching checksum are still refused, by name.
  {
    torch::NoGradGuard no_grad;
    first.fill_(std::nanf(""));
  }
  save_checkpoint(dir + "/nan.pt", *net);
  PolicyValueNet other(small_config());
  try {
    load_weights(dir + "/nan.pt", *other);
    FAIL() << "expected a non-finite error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{}/nan.pt: corrupt checkpoint: parameter '{}' has non-finite weights", dir,
                                                 other->named_parameters().begin()->key()));
  }
  EXPECT_TRUE(torch::isfinite(other->parameters()[0]).all().item<bool>());  // left as it was
}

TEST(GnnCheckpoint, CheckpointsWithoutAChecksumStillLoad) {
  // Files written before checksums: format, version, config and parameters only.
  const std::string dir = test::temp_dir("gnn_ckpt_old");
  torch::manual_seed(3);
  PolicyValueNet net(small_config());
  torch::serialize::OutputArchive a, params;
  a.write("format", c10::IValue(std::string("rlplace-gnn-checkpoint")));
  a.write("version", c10::IValue(kCheckpointVersion));
  a.write("config", c10::IValue(small_config().to_json()));
  net->save(params);
  a.write("params", params);
  a.save_to(dir + "/old.pt");
  PolicyValueNet loaded = load_checkpoint(dir + "/old.pt", torch::kCPU);
  EXPECT_EQ(parameter_checksum(*loaded), parameter_checksum(*net));
}

}  // namespace
}  // namespace rlplace::gnn
