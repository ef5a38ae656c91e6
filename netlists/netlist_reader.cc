#include "netlists/netlist_reader.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "graph.pb.h"
#include "netlists/io.h"

namespace rlplace {

namespace {

namespace gp = google::protobuf;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Keeps the first syntax error; protobuf reports 0-based lines.
class FirstError : public gp::io::ErrorCollector {
 public:
  void AddError(int line, gp::io::ColumnNumber column, const std::string& message) override {
    if (!has_error) {
      has_error = true;
      this->line = line + 1;
      this->column = column + 1;
      this->message = message;
    }
  }
  void AddWarning(int, gp::io::ColumnNumber, const std::string&) override {}
  bool has_error = false;
  int line = 0, column = 0;
  std::string message;
};

// Header comments: canvas ("FP bbox"), block name and blockages.
void read_header_comments(const std::string& path, const std::string& content, Netlist& nl) {
  static const std::regex fp_bbox(R"(FP bbox:\s*\{\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\}\s*\{\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\})");
  static const std::regex block(R"(^\s*#\s*Block\s*:\s*(\S+))");
  static const std::regex blockage(R"(^\s*#\s*Blockage\s*:\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s+([-+0-9.eE]+)\s+([-+0-9.eE]+)\s+([-+0-9.eE]+))");
  size_t pos = 0;
  int line_no = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + pos, end - pos);
    ++line_no;
    pos = end + 1;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    if (line[first] != '#') break;  // header comments end at the first node
    std::string l(line);
    std::smatch m;
    if (std::regex_search(l, m, fp_bbox)) {
      double x1 = std::strtod(m[3].str().c_str(), nullptr), y1 = std::strtod(m[4].str().c_str(), nullptr);
      if (!std::isfinite(x1) || !std::isfinite(y1) || x1 <= 0 || y1 <= 0)
        throw InputError(fmt::format("{}:{}: invalid FP bbox", path, line_no));
      nl.fp_width = x1;
      nl.fp_height = y1;
    } else if (std::regex_search(l, m, blockage)) {
      Blockage b{std::strtod(m[1].str().c_str(), nullptr), std::strtod(m[2].str().c_str(), nullptr),
                 std::strtod(m[3].str().c_str(), nullptr), std::strtod(m[4].str().c_str(), nullptr),
                 std::strtod(m[5].str().c_str(), nullptr)};
      if (!(b.max_x > b.min_x) || !(b.max_y > b.min_y) || !std::isfinite(b.rate))
        throw InputError(fmt::format("{}:{}: invalid blockage", path, line_no));
      nl.blockages.push_back(b);
    } else if (std::regex_search(l, m, block)) {
      nl.block_name = m[1].str();
    }
  }
}

bool looks_binary(const std::string& path, const std::string& content) {
  if (ends_with(path, ".pb") || ends_with(path, ".pb.gz")) return true;
  size_t n = std::min<size_t>(content.size(), 256);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(content[i]);
    if (c < 0x09 || (c > 0x0d && c < 0x20)) return true;
  }
  return false;
}

template <class Graph>
class Converter {
 public:
  using Node = std::decay_t<decltype(std::declval<Graph>().node(0))>;
  using Attr = std::decay_t<decltype(std::declval<Node>().attr().begin()->second)>;

  Converter(const std::string& path, const Graph& graph, const gp::TextFormat::ParseInfoTree* tree)
      : path_(path), graph_(graph), tree_(tree) {
    node_field_ = Graph::descriptor()->FindFieldByName("node");
  }

  void run(Netlist& nl) {
    const int count = graph_.node_size();
    nl.name.reserve(count);
    std::vector<int> file_pos;  // node -> position in the file (for line lookup)
    file_pos.reserve(count);
    std::vector<std::string> owner_name;
    for (int i = 0; i < count; ++i) {
      const Node& node = graph_.node(i);
      cur_ = i;
      if (node.name().empty()) fail("node without a name");
      if (node.name() == "__metadata__") {
        if (auto* v = find(node, "soft_macro_area_bloating_ratio")) nl.soft_macro_area_bloating_ratio = number(node, "soft_macro_area_bloating_ratio", *v);
        continue;
      }
      const Attr* type_attr = find(node, "type");
      if (!type_attr) fail(fmt::format("node '{}' has no type attribute", node.name()));
      std::string type = upper(text(node, "type", *type_attr));
      NodeKind kind;
      std::string owner;
      if (type == "MACRO") {
        kind = node.name().starts_with("Grp_") ? NodeKind::kSoftMacro : NodeKind::kHardMacro;
      } else if (type == "MACRO_PIN") {
        kind = NodeKind::kHardMacroPin;  // decided once the owner is known
        const Attr* m = find(node, "macro_name");
        if (!m) fail(fmt::format("pin '{}' has no macro_name attribute", node.name()));
        owner = text(node, "macro_name", *m);
      } else if (type == "PORT") {
        kind = NodeKind::kPort;
      } else if (type == "STDCELL") {
        kind = NodeKind::kStdCell;
      } else {
        fail(fmt::format("node '{}' has unknown type '{}'", node.name(), text(node, "type", *type_attr)));
      }
      nl.name.push_back(node.name());
      nl.kind.push_back(kind);
      nl.line.push_back(line_of(i));
      file_pos.push_back(i);
      owner_name.push_back(std::move(owner));
      const bool sized = is_macro(kind) || kind == NodeKind::kStdCell;
      const bool positioned = !is_pin(kind);
      nl.width.push_back(sized ? size(node, "width") : 0.0);
      nl.height.push_back(sized ? size(node, "height") : 0.0);
      nl.x.push_back(positioned ? coord(node, "x") : 0.0);
      nl.y.push_back(positioned ? coord(node, "y") : 0.0);
      nl.pin_dx.push_back(is_pin(kind) ? coord(node, "x_offset") : 0.0);
      nl.pin_dy.push_back(is_pin(kind) ? coord(node, "y_offset") : 0.0);
      double w = 1.0;
      if (const Attr* a = find(node, "weight")) {
        w = number(node, "weight", *a);
        if (!std::isfinite(w) || w < 0) fail(fmt::format("node '{}' has invalid weight {}", node.name(), w));
      }
      nl.weight.push_back(w);
      Orientation o = Orientation::N;
      if (is_macro(kind)) {
        if (const Attr* a = find(node, "orientation")) {
          std::string s = text(node, "orientation", *a);
          auto parsed = parse_orientation(s);
          if (!parsed) fail(fmt::format("node '{}' has unknown orientation '{}'", node.name(), s));
          o = *parsed;
        }
      }
      nl.orientation.push_back(o);
      nl.owner.push_back(-1);
    }
    if (nl.name.empty()) throw InputError(fmt::format("{}: netlist has no nodes", path_));

    const int32_t n = nl.num_nodes();
    nl.index.reserve(n);
    for (int32_t i = 0; i < n; ++i) {
      if (!nl.index.emplace(nl.name[i], i).second) {
        cur_ = file_pos[i];
        fail(fmt::format("duplicate node name '{}'", nl.name[i]));
      }
    }
    for (int32_t i = 0; i < n; ++i) {
      if (!is_pin(nl.kind[i])) continue;
      cur_ = file_pos[i];
      auto it = nl.index.find(owner_name[i]);
      if (it == nl.index.end())
        fail(fmt::format("pin '{}' names macro '{}', which is not in the netlist", nl.name[i], owner_name[i]));
      const int32_t m = it->second;
      if (!is_macro(nl.kind[m]))
        fail(fmt::format("pin '{}' names '{}' as its macro, but that node is a {}", nl.name[i], owner_name[i], to_string(nl.kind[m])));
      nl.owner[i] = m;
      nl.kind[i] = nl.kind[m] == NodeKind::kSoftMacro ? NodeKind::kSoftMacroPin : NodeKind::kHardMacroPin;
    }
    std::vector<std::vector<int32_t>> sinks(n);
    for (int32_t i = 0; i < n; ++i) {
      const Node& node = graph_.node(file_pos[i]);
      if (node.input_size() == 0) continue;
      cur_ = file_pos[i];
      if (is_macro(nl.kind[i]))
        fail(fmt::format("macro '{}' lists inputs; only ports, pins and standard cells drive nets", nl.name[i]));
      sinks[i].reserve(node.input_size());
      for (const std::string& in : node.input()) {
        auto it = nl.index.find(in);
        if (it == nl.index.end())
          fail(fmt::format("node '{}' drives '{}', which is not in the netlist", nl.name[i], in));
        if (is_macro(nl.kind[it->second]))
          fail(fmt::format("node '{}' drives macro '{}' directly; nets connect pins", nl.name[i], in));
        sinks[i].push_back(it->second);
      }
    }
    nl.finalize(sinks);
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    int line = line_of(cur_);
    if (line > 0) throw InputError(fmt::format("{}:{}: {}", path_, line, msg));
    throw InputError(fmt::format("{}: node #{}: {}", path_, cur_, msg));
  }

  int line_of(int i) const {
    if (!tree_) return 0;
    return tree_->GetLocation(node_field_, i).line + 1;
  }

  const Attr* find(const Node& node, const char* key) const {
    auto it = node.attr().find(key);
    return it == node.attr().end() ? nullptr : &it->second;
  }

  std::string text(const Node& node, const char* key, const Attr& a) const {
    if (a.value_case() == Attr::kPlaceholder) return a.placeholder();
    if (a.value_case() == Attr::kS) return a.s();
    fail(fmt::format("node '{}': attribute '{}' must be a string (placeholder)", node.name(), key));
  }

  double number(const Node& node, const char* key, const Attr& a) const {
    if (a.value_case() == Attr::kF) return a.f();
    if (a.value_case() == Attr::kI) return static_cast<double>(a.i());
    fail(fmt::format("node '{}': attribute '{}' must be a number (f)", node.name(), key));
  }

  double coord(const Node& node, const char* key) const {
    const Attr* a = find(node, key);
    if (!a) return 0.0;
    double v = number(node, key, *a);
    if (!std::isfinite(v)) fail(fmt::format("node '{}' has invalid {} {}", node.name(), key, v));
    return v;
  }

  double size(const Node& node, const char* key) const {
    const Attr* a = find(node, key);
    if (!a) fail(fmt::format("node '{}' has no {} attribute", node.name(), key));
    double v = number(node, key, *a);
    if (!std::isfinite(v) || v < 0) fail(fmt::format("node '{}' has invalid {} {}", node.name(), key, v));
    return v;
  }

  const std::string& path_;
  const Graph& graph_;
  const gp::TextFormat::ParseInfoTree* tree_;
  const gp::FieldDescriptor* node_field_;
  int cur_ = 0;
};

}  // namespace

Netlist parse_netlist(const std::string& path, const std::string& content) {
  Netlist nl;
  nl.source = path;
  if (content.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError(fmt::format("{}: file is empty", path));
  if (looks_binary(path, content)) {
    pb::GraphDef graph;
    if (!graph.ParseFromString(content))
      throw InputError(fmt::format("{}: not a valid binary GraphDef netlist (truncated or corrupt)", path));
    Converter<pb::GraphDef>(path, graph, nullptr).run(nl);
    return nl;
  }
  read_header_comments(path, content, nl);
  pb::TextGraphDef graph;
  gp::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  gp::TextFormat::ParseInfoTree tree;
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(content, &graph)) {
    if (errors.has_error)
      throw InputError(fmt::format("{}:{}:{}: {}", path, errors.line, errors.column, errors.message));
    throw InputError(fmt::format("{}: not a valid text netlist", path));
  }
  Converter<pb::TextGraphDef>(path, graph, &tree).run(nl);
  return nl;
}

Netlist read_netlist(const std::string& path) { return parse_netlist(path, read_file(path)); }

}  // namespace rlplace
