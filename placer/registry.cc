#include "placer/registry.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "placer/legalizer.h"
#include "placer/local_search.h"
#include "placer/placers.h"

namespace rlplace {

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<PlacerEntry>& placers() {
  static std::vector<PlacerEntry> v;
  return v;
}
std::vector<RefinerEntry>& refiners() {
  static std::vector<RefinerEntry> v;
  return v;
}

template <class Entry>
void put(std::vector<Entry>& v, Entry e) {
  std::lock_guard lock(registry_mutex());
  auto it = std::find_if(v.begin(), v.end(), [&](const Entry& x) { return x.name == e.name; });
  if (it != v.end())
    *it = std::move(e);
  else
    v.push_back(std::move(e));
}

template <class Entry>
const Entry* lookup(const std::vector<Entry>& v, std::string_view name) {
  std::lock_guard lock(registry_mutex());
  for (const Entry& e : v)
    if (e.name == name) return &e;
  return nullptr;
}

template <class Entry>
std::vector<std::string> names(const std::vector<Entry>& v) {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> out;
  for (const Entry& e : v) out.push_back(e.name);
  return out;
}

// An episode of the environment driven by one of placers.h's rules, then the solver.
PlaceOutcome run_rule(const std::string& rule, const PlaceRequest& r) {
  const Design& d = *r.design;
  PlacementEnv env(d.netlist, d.params, d.placement, r.env);
  PlacerOptions po;
  po.seed = r.seed;
  run_placer(rule, env, po);
  env.finish();
  return {env.placement(), fmt::format("'{}' (seed {})", rule, r.seed)};
}

// The start's own macro positions made legal with the least movement; then the solver.
PlaceOutcome legalize_start(const PlaceRequest& r) {
  const Design& d = *r.design;
  Placement start = d.placement;
  const LegalizeResult legal = legalize_hard_macros(d.netlist, d.params, start, r.env.macro_spacing);
  for (int32_t m : d.netlist.hard_macros) start.fixed[m] = 1;
  PlacementEnv env(d.netlist, d.params, start, r.env);
  env.finish();
  Placement out = env.placement();
  // Legalized macros are the placer's result, not fixed input.
  for (int32_t m : d.netlist.hard_macros) out.fixed[m] = d.placement.fixed[m];
  return {std::move(out), legal.packed ? "the input's macros packed from the bottom-left (moved to their nearest free "
                                         "cells, one had none left)"
                                       : "the input's positions, legalized"};
}

}  // namespace

void register_placer(PlacerEntry entry) { put(placers(), std::move(entry)); }
void register_refiner(RefinerEntry entry) { put(refiners(), std::move(entry)); }
const PlacerEntry* find_placer(std::string_view name) { return lookup(placers(), name); }
const RefinerEntry* find_refiner(std::string_view name) { return lookup(refiners(), name); }
std::vector<std::string> placer_names() { return names(placers()); }
std::vector<std::string> refiner_names() { return names(refiners()); }

const PlacerEntry& placer_or_throw(std::string_view name) {
  if (const PlacerEntry* e = find_placer(name)) return *e;
  throw UnknownPlacer(fmt::format("unknown placer '{}' (this build has: {})", name, fmt::join(placer_names(), ", ")));
}

const RefinerEntry& refiner_or_throw(std::string_view name) {
  if (const RefinerEntry* e = find_refiner(name)) return *e;
  throw UnknownPlacer(fmt::format("unknown refiner '{}' (this build has: {})", name,
                                  refiner_names().empty() ? std::string("none") : fmt::format("{}", fmt::join(refiner_names(), ", "))));
}

void register_builtin_placers() {
  register_placer({"greedy", "each macro, largest first, on the feasible cell that minimises the proxy cost so far",
                   [](const PlaceRequest& r) { return run_rule("greedy", r); }});
  register_placer({"random", "each macro on a uniformly random feasible cell (seeded)",
                   [](const PlaceRequest& r) { return run_rule("random", r); }});
  register_placer({"legalize", "the input's own macro positions, made legal with the least movement", legalize_start});
  register_placer({"sa", "simulated annealing of hard and soft macros on the exact cost (--seconds or --moves, --threads chains)",
                   [](const PlaceRequest& r) { return place_sa(r); }});
  register_placer({"cd", "coordinate descent: each macro on its best cell and flip in turn, the solver between sweeps",
                   [](const PlaceRequest& r) { return place_cd(r); }});
  register_refiner({"cd", "coordinate descent from the placer's result (--refine-seconds)",
                    [](const PlaceRequest& r, Placement& p) { return refine_cd(r, p); }});
  register_refiner({"sa", "annealing from the placer's result at a low temperature (--refine-seconds or moves)",
                    [](const PlaceRequest& r, Placement& p) { return refine_sa(r, p); }});
}

}  // namespace rlplace
