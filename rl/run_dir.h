// The run directory of a training run: its lock, its state file, resume checks, checkpoint
// naming and rotation, and the atomic commit of an iteration. Free of LibTorch: the caller
// writes and verifies the checkpoint files themselves through the functions it passes in.
//
// DIR/lock                    flock(2)ed for the life of a run; the OS releases it on a crash
// DIR/state.json              the commit point: iteration, configuration, netlists, learner
//                             state, best costs, metrics history; written atomically after the
//                             files it names
// DIR/checkpoints/            policy-NNNNNN.pt, optimizer-NNNNNN.pt and state-NNNNNN.json (a
//                             copy of that iteration's state) of the last two iterations
//
// A commit writes the iteration's files, then its state copy, then state.json, then removes
// what no state names any more: a kill in between leaves the previous state, whose files are
// still there. On resume, a latest checkpoint that fails verification (checksum, non-finite
// weights, unreadable) is replaced by the previous iteration's, from its state copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rl/config.h"

namespace rlplace::rl {

struct NetlistSpec {
  std::string netlist, plc;
};

inline constexpr const char* kStateFormat = "rlplace-train-state";
inline constexpr int kStateVersion = 1;

// Paths relative to the run directory.
std::string checkpoint_name(int64_t iteration);  // checkpoints/policy-NNNNNN.pt
std::string optimizer_name(int64_t iteration);   // checkpoints/optimizer-NNNNNN.pt
std::string state_copy_name(int64_t iteration);  // checkpoints/state-NNNNNN.json

// A checkpoint file, or a training directory (its latest checkpoint). Throws InputError.
std::string resolve_policy(const std::string& path);

// What a run is: a resume must match it.
struct RunIdentity {
  TrainConfig config;
  uint64_t seed = 1;
  std::vector<NetlistSpec> train, eval;  // absolute paths once stored
};

// The options a resume was given, checked against a stored state.
struct ResumeRequest {
  RunIdentity given;         // netlists as given (relative paths allowed)
  bool config_given = false;  // the configuration must equal the run's
};

// The stored identity of the run in `state`, after checking the request against it. Throws
// InputError naming `state_path` (corrupt or foreign state) or `dir` (netlists or
// configuration differ).
RunIdentity resume_identity(const nlohmann::json& state, const std::string& state_path, const std::string& dir,
                            const ResumeRequest& request);

// `path` made absolute and normal; empty stays empty.
std::string absolute_path(const std::string& path);

class RunDir {
 public:
  // Creates DIR, DIR/checkpoints and DIR/best, and takes DIR/lock. Throws InputError (one
  // line) when another process holds the lock.
  explicit RunDir(const std::string& dir);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  std::string file(const std::string& relative) const { return (dir_ / relative).string(); }
  std::string state_path() const { return file("state.json"); }
  bool has_state() const;
  // state.json parsed; throws InputError naming the file when it is not JSON.
  nlohmann::json read_state() const;

  // Throws (any exception; its what() is reported) when the files a state names are unusable.
  using Verify = std::function<void(const nlohmann::json& state)>;
  // The latest state whose files pass `verify`: state.json, else the state copy of the
  // iteration before it (after one warning line through `warn`). Throws InputError (one
  // line) when neither is intact.
  nlohmann::json intact_state(const Verify& verify, const std::function<void(const std::string&)>& warn) const;

  // Commits iteration `iteration`: `write_files(policy_path, optimizer_path)` writes the
  // checkpoint files, then the state copy and state.json are written atomically, then the
  // files of iterations older than the previous one are removed.
  void commit(int64_t iteration, const nlohmann::json& state,
              const std::function<void(const std::string&, const std::string&)>& write_files) const;
  // From now on commit() keeps the policy file of every iteration divisible by `every` (0:
  // none beyond the last two), for choosing among them (tools/select_policy.sh).
  void keep_policies_every(int64_t every) { keep_every_ = every; }

 private:
  std::filesystem::path dir_;
  int64_t keep_every_ = 0;
  int lock_fd_ = -1;
};

}  // namespace rlplace::rl
