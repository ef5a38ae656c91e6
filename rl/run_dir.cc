#include "rl/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "netlists/json_number.h"
#include "netlists/io.h"
#include "netlists/netlist.h"

namespace rlplace::rl {

namespace fs = std::filesystem;
using nlohmann::json;

std::string checkpoint_name(int64_t it) { return fmt::format("checkpoints/policy-{:06d}.pt", it); }
std::string optimizer_name(int64_t it) { return fmt::format("checkpoints/optimizer-{:06d}.pt", it); }
std::string state_copy_name(int64_t it) { return fmt::format("checkpoints/state-{:06d}.json", it); }

std::string absolute_path(const std::string& p) { return p.empty() ? p : fs::absolute(p).lexically_normal().string(); }

std::string resolve_policy(const std::string& path) {
  if (!fs::is_directory(path)) {
    if (!fs::exists(path)) throw InputError(fmt::format("{}: no such policy checkpoint or training directory", path));
    return path;
  }
  const std::string state = (fs::path(path) / "state.json").string();
  if (!fs::exists(state)) throw InputError(fmt::format("{}: a directory without state.json is not a training run", path));
  try {
    const json j = json::parse(read_file(state));
    return (fs::path(path) / j.at("checkpoint").get<std::string>()).string();
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: not a training state file ({})", state, e.what()));
  }
}

namespace {

std::vector<NetlistSpec> specs_of(const json& a) {
  std::vector<NetlistSpec> v;
  for (const auto& s : a) v.push_back({s.at("netlist").get<std::string>(), s.at("plc").get<std::string>()});
  return v;
}

bool same_specs(const std::vector<NetlistSpec>& given, const std::vector<NetlistSpec>& stored) {
  if (given.size() != stored.size()) return false;
  for (size_t i = 0; i < given.size(); ++i)
    if (absolute_path(given[i].netlist) != stored[i].netlist || absolute_path(given[i].plc) != stored[i].plc)
      return false;
  return true;
}

RunIdentity checked_identity(const json& state, const std::string& state_path, const std::string& dir,
                             const ResumeRequest& r) {
  if (state.at("format") != kStateFormat) throw InputError(fmt::format("{}: not a training state file", state_path));
  if (state.at("version") != kStateVersion)
    throw InputError(fmt::format("{}: state version {} (this rlplace reads {})", state_path, state.at("version").dump(),
                                 kStateVersion));
  RunIdentity id;
  id.config = TrainConfig::from_json(state.at("config").dump());
  if (r.config_given && id.config.to_json() != r.given.config.to_json())
    throw InputError(fmt::format("{}: --config differs from the configuration of the run being resumed", dir));
  try {
    id.seed = json_number<uint64_t>(state.at("seed"));  // checked: get<uint64_t>() of 1e30 is undefined
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: seed {}", state_path, e.what()));
  }
  id.train = specs_of(state.at("train"));
  id.eval = specs_of(state.at("eval"));
  if (!same_specs(r.given.train, id.train) || (!r.given.eval.empty() && !same_specs(r.given.eval, id.eval)))
    throw InputError(fmt::format("{}: the netlists differ from those of the run being resumed", dir));
  return id;
}

}  // namespace

RunIdentity resume_identity(const json& state, const std::string& state_path, const std::string& dir,
                            const ResumeRequest& request) {
  try {
    return checked_identity(state, state_path, dir, request);
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: corrupt training state ({})", state_path, e.what()));
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: {}", state_path, e.what()));
  }
}

RunDir::RunDir(const std::string& dir) : dir_(dir) {
  fs::create_directories(dir_ / "checkpoints");
  fs::create_directories(dir_ / "best");
  const std::string lock = file("lock");
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::runtime_error(fmt::format("{}: cannot open: {}", lock, std::strerror(errno)));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err == EWOULDBLOCK)
      throw InputError(fmt::format("{}: another rlplace train is writing this run directory ({} is held)", dir, lock));
    throw std::runtime_error(fmt::format("{}: cannot lock: {}", lock, std::strerror(err)));
  }
}

RunDir::~RunDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing the descriptor releases the lock
}

bool RunDir::has_state() const { return fs::exists(dir_ / "state.json"); }

namespace {

json read_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("{}: corrupt training state ({})", path, e.what()));
  }
}

// The reason `verify` refuses `state`; empty when it accepts it.
std::string refusal(const RunDir::Verify& verify, const json& state) {
  try {
    verify(state);
    return "";
  } catch (const json::exception& e) {
    return fmt::format("corrupt training state ({})", e.what());
  } catch (const std::exception& e) {
    const std::string s = e.what();
    return s.substr(0, s.find('\n'));
  }
}

}  // namespace

json RunDir::read_state() const { return read_json(state_path()); }

json RunDir::intact_state(const Verify& verify, const std::function<void(const std::string&)>& warn) const {
  const json latest = read_state();
  const std::string why = refusal(verify, latest);
  if (why.empty()) return latest;
  int64_t it = -1;
  if (latest.is_object() && latest.contains("iteration") && latest.at("iteration").is_number_integer())
    it = latest.at("iteration").get<int64_t>();
  const fs::path previous = dir_ / state_copy_name(it - 1);
  if (it < 1 || !fs::exists(previous))
    throw InputError(fmt::format("{}; no earlier intact checkpoint to resume from", why));
  json earlier;
  try {
    earlier = read_json(previous.string());
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}; the previous iteration's state is unusable too: {}", why, e.what()));
  }
  const std::string why_earlier = refusal(verify, earlier);
  if (!why_earlier.empty())
    throw InputError(fmt::format("{}; the previous iteration's checkpoint is unusable too: {}", why, why_earlier));
  if (warn) warn(fmt::format("{}; resuming from iteration {} instead", why, it - 1));
  return earlier;
}

void RunDir::commit(int64_t it, const json& state,
                    const std::function<void(const std::string&, const std::string&)>& write_files) const {
  write_files(file(checkpoint_name(it)), file(optimizer_name(it)));
  const std::string text = state.dump(1);
  write_file_atomic(file(state_copy_name(it)), text);
  write_file_atomic(state_path(), text);
  // Older files than the previous iteration's are no longer named anywhere (policies kept
  // by keep_policies_every aside).
  for (int64_t old = it - 2; old >= 0 && old >= it - 4; --old) {
    if (keep_every_ <= 0 || old % keep_every_ != 0) fs::remove(dir_ / checkpoint_name(old));
    fs::remove(dir_ / optimizer_name(old));
    fs::remove(dir_ / state_copy_name(old));
  }
}

}  // namespace rlplace::rl
