#include "gnn/config.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlists/json_number.h"

namespace rlplace::gnn {

void GnnConfig::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("GNN config: " + what); };
  if (node_dim < 1) bad(fmt::format("node_dim must be at least 1 (got {})", node_dim));
  if (layers < 1) bad(fmt::format("layers must be at least 1 (got {})", layers));
  if (grid < 8 || (grid & (grid - 1)) != 0)
    bad(fmt::format("grid must be 8 times a power of two: 8, 16, 32, 64, 128, ... (got {})", grid));
  if (greedy_prior && !cost_maps) bad("greedy_prior needs cost_maps");
  if (policy_channels < 1) bad(fmt::format("policy_channels must be at least 1 (got {})", policy_channels));
  for (int h : value_hidden)
    if (h < 1) bad(fmt::format("value_hidden widths must be at least 1 (got {})", h));
}

std::string GnnConfig::to_json() const {
  nlohmann::json j = {{"node_dim", node_dim},
                      {"layers", layers},
                      {"grid", grid},
                      {"policy_channels", policy_channels},
                      {"value_hidden", value_hidden},
                      {"cost_maps", cost_maps},
                      {"greedy_prior", greedy_prior}};
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
  const std::vector<std::string> keys = {"node_dim", "layers", "grid", "policy_channels", "value_hidden", "cost_maps",
                                        "greedy_prior"};
  for (const auto& [key, value] : j.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw std::invalid_argument(fmt::format("GNN config: unknown field '{}'", key));
  // Checked reads: a plain get<int>() of 1e300 is undefined behaviour, and of 2.5 gives 2.
  auto integer = [](const nlohmann::json& v, const std::string& key) {
    try {
      return json_number<int>(v);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("GNN config: {} {}", key, e.what()));
    }
  };
  for (const char* key : {"node_dim", "layers", "grid", "policy_channels", "value_hidden"})
    if (!j.contains(key)) throw std::invalid_argument(fmt::format("GNN config: missing field '{}'", key));
  c.node_dim = integer(j.at("node_dim"), "node_dim");
  c.layers = integer(j.at("layers"), "layers");
  c.grid = integer(j.at("grid"), "grid");
  c.policy_channels = integer(j.at("policy_channels"), "policy_channels");
  const nlohmann::json& hidden = j.at("value_hidden");
  if (!hidden.is_array()) throw std::invalid_argument("GNN config: value_hidden must be an array of widths");
  c.value_hidden.clear();
  for (const auto& h : hidden) c.value_hidden.push_back(integer(h, "value_hidden"));
  c.cost_maps = false;  // absent: a network from before the maps
  if (j.contains("cost_maps")) {
    if (!j.at("cost_maps").is_boolean()) throw std::invalid_argument("GNN config: cost_maps must be true or false");
    c.cost_maps = j.at("cost_maps").get<bool>();
  }
  c.greedy_prior = false;  // absent: a network from before the prior
  if (j.contains("greedy_prior")) {
    if (!j.at("greedy_prior").is_boolean()) throw std::invalid_argument("GNN config: greedy_prior must be true or false");
    c.greedy_prior = j.at("greedy_prior").get<bool>();
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
