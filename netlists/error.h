// The one exception type for a user's bad input, kept apart so that every layer can throw
// it without pulling in the netlist model.
#pragma once

#include <stdexcept>

namespace rlplace {

// Raised for anything wrong with a user's input. what() is one line that names the file
// (and line where known), ready to print.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rlplace
