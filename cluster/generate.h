// The chip corpus: synthetic chips in Circuit Training's clustered form, drawn from
// parameters fitted to the real chips rlplace ships; the statistics that compare them to
// real chips; and augmentation of real chips (mirrored, tiled and rescaled copies).
// docs/corpus.md describes the model and shows generated beside real statistics.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cost/design.h"

namespace rlplace {

// --- Parameters -------------------------------------------------------------------------

// Every generator parameter, in the order of gen_fields().
enum GenKey : int {
  kGenHardMacros,   // hard macros
  kGenMacroTypes,   // distinct macro shapes (each with its own pins)
  kGenMacroArea,    // hard-macro area / canvas area
  kGenMacroAspect,  // largest width/height (or height/width) of a macro shape
  kGenMacroSpread,  // largest area ratio between two macro shapes
  kGenMacroPins,    // mean pins per macro shape
  kGenMacroOut,     // fraction of hard-macro pins that drive a net
  kGenSoftMacros,   // soft macros (clusters)
  kGenUtilisation,  // (hard + soft macro area) / canvas area
  kGenPorts,        // ports
  kGenPortSides,    // canvas sides that carry ports
  kGenPortOut,      // fraction of ports that are outputs (sinks)
  kGenNetDegree,    // mean pins of a net driven by a hard-macro pin or an input port
  kGenBigNets,      // input ports driving a global net (clock, reset) to many soft macros
  kGenBigShare,     // fraction of the soft macros a global net reaches
  kGenSoftFanout,   // mean nets a soft macro drives (each to one target, as clustering makes them)
  kGenSoftWeight,   // mean weight of a soft macro's net (connections merged into it)
  kGenRent,         // Rent exponent of the wire-length distribution (locality; lower: more local)
  kGenWidth,        // canvas width, microns
  kGenAspect,       // canvas height / width
  kGenHRoutes, kGenVRoutes, kGenHAlloc, kGenVAlloc, kGenSmoothing,  // the .plc routing header
  kGenFieldCount
};

struct GenField {
  std::string_view key, help;
  bool integral;
  double min, max;  // valid values, inclusive
  bool log;         // a range is drawn log-uniformly (sizes spanning decades)
};
const std::array<GenField, kGenFieldCount>& gen_fields();

// A value or a range "lo:hi" per parameter; each chip draws its own values from the ranges.
struct GenRange {
  double lo = 0, hi = 0;
};
struct GenSpec {
  std::string preset;
  std::array<GenRange, kGenFieldCount> range{};
};

// The named presets: small (4-40 hard macros, 50-300 soft macros: studies on 2 cores),
// medium, ariane-like (130-140 macros, ~700 soft macros, as the bundled Ariane chips),
// mempool-like. Throws InputError for another name.
GenSpec gen_preset(std::string_view name);
std::vector<std::string> gen_preset_names();
// Sets one parameter from "key=value" or "key=lo:hi". Throws InputError (one line) for an
// unknown key, a malformed or out-of-range value, or lo > hi.
void set_gen_param(GenSpec& spec, std::string_view assignment);
// Throws InputError when the ranges together cannot make a chip (utilisation not above the
// macro area, for instance).
void validate_gen_spec(const GenSpec& spec);

// One chip's drawn values, in gen_fields() order.
using GenValues = std::array<double, kGenFieldCount>;
GenValues draw_gen_values(const GenSpec& spec, uint64_t seed);

// --- Generation -------------------------------------------------------------------------

struct GeneratedChip {
  Design design;        // netlist, parameters, and the initial placement (every node at its
                        // place in the hidden embedding; hard macros may overlap)
  GenValues values;
  int attempts = 1;     // draws until the hard macros packed on a grid
};

// One chip, deterministic for (spec, seed) on one platform. Throws InputError when no draw
// of ten packs the hard macros on any grid Circuit Training's gridding rules allow.
GeneratedChip generate_chip(const GenSpec& spec, uint64_t seed);

// The files of a chip as `rlplace cluster` writes them: the netlist text (not gzipped) and
// the .plc text, with names relative to the chip's folder and no date.
std::string chip_netlist_text(const Design& d, const std::vector<std::string>& comment);
std::string chip_plc_text(const Design& d, const std::string& how);
// Writes DIR/netlist.pb.txt.gz and DIR/initial.plc atomically.
void write_chip(const std::string& dir, const Design& d, const std::string& how);

// --- Statistics -------------------------------------------------------------------------

struct ChipStats {
  std::string name;
  int hard_macros = 0, soft_macros = 0, ports = 0, nets = 0, hard_macro_pins = 0;
  int port_sides = 0;                  // canvas sides with at least one port
  double width = 0, aspect = 0;        // canvas width, height / width
  double macro_area = 0, utilisation = 0;  // hard, hard + soft macro area over canvas area
  double degree_mean = 0, degree_p50 = 0, degree_p90 = 0, degree_p99 = 0, degree_max = 0;
  double weight_mean = 0;
  // Locality: mean over nets of the initial placement's net bounding-box half-perimeter
  // over the canvas half-perimeter, and a Rent exponent estimated by recursive bisection
  // of the canvas (slope of log terminals against log macros over the levels).
  double hpwl_ratio = 0, rent = 0;
  int cols = 0, rows = 0;
};

ChipStats chip_stats(const Design& d, const std::string& name);
nlohmann::json stats_to_json(const ChipStats& s);
// A markdown table, one row per chip.
std::string stats_table(const std::vector<ChipStats>& rows);
// The statistics of chip folders (netlist.pb.txt.gz and initial.plc inside) and of corpus
// folders (every chip_* folder inside); the netlist may be .pb.txt.gz or .pb.txt. InputError for a folder that is neither.
std::vector<ChipStats> stats_of_folders(const std::vector<std::string>& dirs);

// --- Corpus -----------------------------------------------------------------------------

struct GenerateJob {
  std::string out;
  int count = 1;
  uint64_t seed = 1;
  GenSpec spec;
};

struct GenerateReport {
  std::vector<ChipStats> chips;
  std::string corpus_json;
};

// Writes OUT/chip_0000 ... and OUT/corpus.json (each chip's drawn values and statistics),
// every file atomically; chip i is generate_chip(spec, seed * 1000003 + i), so a corpus's
// chips do not depend on its count.
GenerateReport generate_corpus(const GenerateJob& job);

// --- Augmentation -----------------------------------------------------------------------

// Mirrored copy about the canvas's vertical (x) or horizontal (y) centre line, or both.
// Every node's position is mirrored and each macro's pin offsets are mirrored in the
// macro's own frame (a mirrored cell, orientation kept), so every pin lands on the
// mirror image of where it was: wirelength and density are unchanged (to rounding).
// Congestion is not mirror-symmetric in Circuit Training's cost (demand on right and top
// cell edges, three-pin routing by sorted columns, the macro rule on the top row and right
// column): it changes slightly (under 5e-4 relative on Ariane133).
Design mirror_design(const Design& d, bool mirror_x, bool mirror_y);

// nx x ny copies of the chip side by side on a canvas nx x ny times larger (grid likewise),
// names suffixed _t<k>; `bridges` extra sinks per pair of neighbouring tiles join a net of
// one tile to a pin of the other, chosen by `seed`.
Design tile_design(const Design& d, int nx, int ny, int bridges, uint64_t seed);

// The canvas scaled by (sx, sy) with every position scaled and every size kept; the grid
// re-chosen by Circuit Training's rules for the new canvas. Throws InputError when the
// macros no longer pack.
Design rescale_design(const Design& d, double sx, double sy);

// `rlplace augment` as one library call: the chip rescaled (to `utilisation`, or by
// `scale` on both axes), then mirrored ("x", "y" or "xy"), then tiled ("2x1", "1x2",
// "2x2", ...), whichever are given, and written as a chip folder (write_chip).
struct AugmentJob {
  std::string netlist, plc, out;
  std::string mirror, tile;
  int bridges = 8;
  double utilisation = 0, scale = 0;  // 0: not given
  uint64_t seed = 1;
};
struct AugmentReport {
  ChipStats before, after;
  std::string how;
};
// Throws InputError for bad input or when nothing is asked.
AugmentReport augment_to_folder(const AugmentJob& job);

}  // namespace rlplace
