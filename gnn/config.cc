#include "gnn/config.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rlplace::gnn {

void GnnConfig::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("GNN config: " + what); };
  if (node_dim < 1) bad(fmt::format("node_dim must be at least 1 (got {})", node_dim));
  if (layers < 1) bad(fmt::format("layers must be at least 1 (got {})", layers));
  if (grid < 8 || (grid & (grid - 1)) != 0)
    bad(fmt::format("grid must be 8 times a power of two: 8, 16, 32, 64, 128, ... (got {})", grid));
  if (policy_channels < 1) bad(fmt::format("policy_channels must be at least 1 (got {})", policy_channels));
  for (int h : value_hidden)
    if (h < 1) bad(fmt::format("value_hidden widths must be at least 1 (got {})", h));
}

std::string GnnConfig::to_json() const {
  nlohmann::json j = {{"node_dim", node_dim},
                      {"layers", layers},
                      {"grid", grid},
                      {"policy_channels", policy_channels},
                      {"value_hidden", value_hidden}};
  return j.dump();
}

GnnConfig GnnConfig::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("GNN config: not JSON: {}", e.what()));
  }
  if (!j.is_object()) throw std::invalid_argument("GNN config: not a JSON object");
  GnnConfig c;
  const std::vector<std::string> keys = {"node_dim", "layers", "grid", "policy_channels", "value_hidden"};
  for (const auto& [key, value] : j.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw std::invalid_argument(fmt::format("GNN config: unknown field '{}'", key));
  try {
    c.node_dim = j.at("node_dim").get<int>();
    c.layers = j.at("layers").get<int>();
    c.grid = j.at("grid").get<int>();
    c.policy_channels = j.at("policy_channels").get<int>();
    c.value_hidden = j.at("value_hidden").get<std::vector<int>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("GNN config: {}", e.what()));
  }
  c.validate();
  return c;
}

PaddedGrid::PaddedGrid(int g, int r, int c) : grid(g), rows(r), cols(c) {
  if (r < 1 || c < 1 || r > g || c > g)
    throw std::invalid_argument(
        fmt::format("placement grid {} rows x {} columns does not fit the policy's {} x {} action grid", r, c, g, g));
  row_pad = (g - r) / 2;
  col_pad = (g - c) / 2;
}

}  // namespace rlplace::gnn
