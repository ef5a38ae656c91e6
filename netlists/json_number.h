// JSON numbers into C++ numbers without undefined behaviour, for every JSON reader (training
// and GNN configurations, cost parameter files, training state). nlohmann's get<int>()
// converts a float with a plain cast: 1e300 is undefined behaviour, 2.7 silently becomes 2,
// and an integer too large for the type wraps. Header-only: include it where nlohmann/json
// is already used.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace rlplace {

// `j` as T. Throws std::invalid_argument ("must be a number", "must be an integer", "is out
// of range", each with the value) when it is not a number, or, for an integer T, not an
// integer that T holds (4.0 is the integer 4). For a floating-point T any number is taken.
template <class T>
T json_number(const nlohmann::json& j) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  if (!j.is_number()) throw std::invalid_argument("must be a number (got " + j.dump() + ")");
  if constexpr (std::is_floating_point_v<T>) {
    return j.get<T>();
  } else {
    const auto out_of_range = [&] { return std::invalid_argument("is out of range (got " + j.dump() + ")"); };
    if (j.is_number_unsigned()) {
      const uint64_t v = j.get<uint64_t>();
      if (!std::in_range<T>(v)) throw out_of_range();
      return static_cast<T>(v);
    }
    if (j.is_number_integer()) {
      const int64_t v = j.get<int64_t>();
      if (!std::in_range<T>(v)) throw out_of_range();
      return static_cast<T>(v);
    }
    const double d = j.get<double>();
    if (!std::isfinite(d) || d != std::floor(d))
      throw std::invalid_argument("must be an integer (got " + j.dump() + ")");
    // [min, 2^digits): both ends are exact doubles for every integer type.
    if (d < static_cast<double>(std::numeric_limits<T>::min()) ||
        d >= std::ldexp(1.0, std::numeric_limits<T>::digits))
      throw out_of_range();
    return static_cast<T>(d);
  }
}

}  // namespace rlplace
