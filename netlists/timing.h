// Wall-clock timing for reports and budgets, shared by every library and the commands.
#pragma once

#include <chrono>

namespace rlplace {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace rlplace
