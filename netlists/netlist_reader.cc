#include "netlists/netlist_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "rlplace_graph.pb.h"
#include "netlists/io.h"

namespace rlplace {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// One node as either reader sees it, before any meaning is given to it.
struct RawAttr {
  enum Kind : uint8_t { kNumber, kText, kOther };
  std::string key;
  Kind kind = kOther;
  double number = 0;
  std::string text;
};

struct RawNode {
  std::string name;
  std::vector<std::string> inputs;
  std::vector<RawAttr> attrs;
  size_t attr_count = 0;  // attrs beyond this are stale slots kept for reuse
  int line = 0;           // 1-based line of "node", 0 for binary files
  int ordinal = 0;        // position among the file's nodes

  const RawAttr* find(std::string_view key) const {
    // A repeated key keeps its last value, as protobuf maps do.
    for (size_t i = attr_count; i-- > 0;)
      if (attrs[i].key == key) return &attrs[i];
    return nullptr;
  }
  RawAttr& add_attr() {
    if (attr_count == attrs.size()) attrs.emplace_back();
    RawAttr& a = attrs[attr_count++];
    a.kind = RawAttr::kOther;
    a.key.clear();
    a.text.clear();
    return a;
  }
  void clear() {
    name.clear();
    inputs.clear();
    attr_count = 0;
  }
};

// Turns raw nodes into a Netlist, checking everything a later stage relies on.
class NetlistBuilder {
 public:
  explicit NetlistBuilder(const std::string& path) : path_(path) { nl_.source = path; }

  Netlist& netlist() { return nl_; }

  void add(const RawNode& node) {
    cur_line_ = node.line;
    cur_ordinal_ = node.ordinal;
    if (node.name.empty()) fail("node without a name");
    if (node.name == "__metadata__") {
      if (const RawAttr* a = node.find("soft_macro_area_bloating_ratio"))
        nl_.soft_macro_area_bloating_ratio = number(node, *a);
      return;
    }
    const RawAttr* type_attr = node.find("type");
    if (!type_attr) fail(fmt::format("node '{}' has no type attribute", node.name));
    const std::string& type = text(node, *type_attr);
    NodeKind kind;
    std::string owner;
    if (iequals(type, "MACRO")) {
      kind = node.name.starts_with("Grp_") ? NodeKind::kSoftMacro : NodeKind::kHardMacro;
    } else if (iequals(type, "MACRO_PIN")) {
      kind = NodeKind::kHardMacroPin;  // decided once the owner is known
      const RawAttr* m = node.find("macro_name");
      if (!m) fail(fmt::format("pin '{}' has no macro_name attribute", node.name));
      owner = text(node, *m);
    } else if (iequals(type, "PORT")) {
      kind = NodeKind::kPort;
    } else if (iequals(type, "STDCELL")) {
      kind = NodeKind::kStdCell;
    } else {
      fail(fmt::format("node '{}' has unknown type '{}'", node.name, type));
    }
    nl_.name.push_back(node.name);
    nl_.kind.push_back(kind);
    nl_.line.push_back(node.line);
    ordinal_.push_back(node.ordinal);
    owner_name_.push_back(std::move(owner));
    sink_names_.push_back(node.inputs);
    const bool sized = is_macro(kind) || kind == NodeKind::kStdCell;
    const bool positioned = !is_pin(kind);
    nl_.width.push_back(sized ? size(node, "width") : 0.0);
    nl_.height.push_back(sized ? size(node, "height") : 0.0);
    nl_.x.push_back(positioned ? coord(node, "x") : 0.0);
    nl_.y.push_back(positioned ? coord(node, "y") : 0.0);
    nl_.pin_dx.push_back(is_pin(kind) ? coord(node, "x_offset") : 0.0);
    nl_.pin_dy.push_back(is_pin(kind) ? coord(node, "y_offset") : 0.0);
    double w = 1.0;
    if (const RawAttr* a = node.find("weight")) {
      w = number(node, *a);
      if (!std::isfinite(w) || w < 0) fail(fmt::format("node '{}' has invalid weight {}", node.name, w));
    }
    nl_.weight.push_back(w);
    Orientation o = Orientation::N;
    if (is_macro(kind)) {
      if (const RawAttr* a = node.find("orientation")) {
        const std::string& s = text(node, *a);
        auto parsed = parse_orientation(s);
        if (!parsed) fail(fmt::format("node '{}' has unknown orientation '{}'", node.name, s));
        o = *parsed;
      }
    }
    nl_.orientation.push_back(o);
    nl_.owner.push_back(-1);
  }

  Netlist finish() {
    if (nl_.name.empty()) throw InputError(fmt::format("{}: netlist has no nodes", path_));
    const int32_t n = nl_.num_nodes();
    nl_.index.reserve(n);
    for (int32_t i = 0; i < n; ++i) {
      if (!nl_.index.emplace(nl_.name[i], i).second) {
        at(i);
        fail(fmt::format("duplicate node name '{}'", nl_.name[i]));
      }
    }
    for (int32_t i = 0; i < n; ++i) {
      if (!is_pin(nl_.kind[i])) continue;
      at(i);
      auto it = nl_.index.find(owner_name_[i]);
      if (it == nl_.index.end())
        fail(fmt::format("pin '{}' names macro '{}', which is not in the netlist", nl_.name[i], owner_name_[i]));
      const int32_t m = it->second;
      if (!is_macro(nl_.kind[m]))
        fail(fmt::format("pin '{}' names '{}' as its macro, but that node is a {}", nl_.name[i], owner_name_[i],
                         to_string(nl_.kind[m])));
      nl_.owner[i] = m;
      nl_.kind[i] = nl_.kind[m] == NodeKind::kSoftMacro ? NodeKind::kSoftMacroPin : NodeKind::kHardMacroPin;
    }
    std::vector<std::vector<int32_t>> sinks(n);
    for (int32_t i = 0; i < n; ++i) {
      if (sink_names_[i].empty()) continue;
      at(i);
      if (is_macro(nl_.kind[i]))
        fail(fmt::format("macro '{}' lists inputs; only ports, pins and standard cells drive nets", nl_.name[i]));
      sinks[i].reserve(sink_names_[i].size());
      for (const std::string& in : sink_names_[i]) {
        auto it = nl_.index.find(in);
        if (it == nl_.index.end())
          fail(fmt::format("node '{}' drives '{}', which is not in the netlist", nl_.name[i], in));
        if (is_macro(nl_.kind[it->second]))
          fail(fmt::format("node '{}' drives macro '{}' directly; nets connect pins", nl_.name[i], in));
        // Circuit Training's netlists let output ports list themselves (a net of one node,
        // which costs nothing); a macro pin that drives itself is a broken netlist.
        if (it->second == i && is_pin(nl_.kind[i]))
          fail(fmt::format("pin '{}' lists itself as an input; a pin cannot drive its own net", in));
        sinks[i].push_back(it->second);
      }
    }
    sink_names_.clear();
    nl_.finalize(sinks);
    return std::move(nl_);
  }

 private:
  void at(int32_t i) {
    cur_line_ = nl_.line[i];
    cur_ordinal_ = ordinal_[i];
  }

  [[noreturn]] void fail(const std::string& msg) const {
    if (cur_line_ > 0) throw InputError(fmt::format("{}:{}: {}", path_, cur_line_, msg));
    throw InputError(fmt::format("{}: node #{}: {}", path_, cur_ordinal_, msg));
  }

  const std::string& text(const RawNode& node, const RawAttr& a) const {
    if (a.kind != RawAttr::kText)
      fail(fmt::format("node '{}': attribute '{}' must be a string (placeholder)", node.name, a.key));
    return a.text;
  }

  double number(const RawNode& node, const RawAttr& a) const {
    if (a.kind != RawAttr::kNumber) fail(fmt::format("node '{}': attribute '{}' must be a number (f)", node.name, a.key));
    return a.number;
  }

  double coord(const RawNode& node, const char* key) const {
    const RawAttr* a = node.find(key);
    if (!a) return 0.0;
    double v = number(node, *a);
    if (!std::isfinite(v)) fail(fmt::format("node '{}' has invalid {} {}", node.name, key, v));
    return v;
  }

  double size(const RawNode& node, const char* key) const {
    const RawAttr* a = node.find(key);
    if (!a) fail(fmt::format("node '{}' has no {} attribute", node.name, key));
    double v = number(node, *a);
    if (!std::isfinite(v) || v < 0) fail(fmt::format("node '{}' has invalid {} {}", node.name, key, v));
    return v;
  }

  const std::string& path_;
  Netlist nl_;
  std::vector<int32_t> ordinal_;
  std::vector<std::string> owner_name_;
  std::vector<std::vector<std::string>> sink_names_;
  int cur_line_ = 0, cur_ordinal_ = 0;
};

// A streaming reader of the protobuf text format, restricted to GraphDef. It reads about
// ten times faster than protobuf's generic text parser and knows the line of everything.
class TextReader {
 public:
  TextReader(const std::string& path, const std::string& content)
      : path_(path), p_(content.data()), end_(content.data() + content.size()) {}

  template <class F>
  void read(F&& on_node) {
    RawNode node;
    int ordinal = 0;
    while (true) {
      skip_space();
      if (p_ == end_) return;
      const int line = line_;
      std::string_view field = identifier("a field name");
      if (field == "node") {
        optional_colon();
        const char close = open("node");
        node.clear();
        node.line = line;
        node.ordinal = ordinal++;
        read_node(node, close);
        on_node(node);
      } else {
        skip_value(field);  // other GraphDef fields (versions, library) carry nothing we use
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw InputError(fmt::format("{}:{}: {}", path_, line_, msg));
  }

  void skip_space() {
    while (p_ < end_) {
      const char c = *p_;
      if (c == '\n') {
        ++line_;
        ++p_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++p_;
      } else if (c == '#') {
        while (p_ < end_ && *p_ != '\n') ++p_;
      } else {
        return;
      }
    }
  }

  std::string_view describe_here() const {
    if (p_ == end_) return "end of file";
    const char* e = p_;
    while (e < end_ && e - p_ < 20 && *e != '\n') ++e;
    return std::string_view(p_, e - p_);
  }

  std::string_view identifier(const char* what) {
    skip_space();
    const char* s = p_;
    while (p_ < end_ && (std::isalnum(static_cast<unsigned char>(*p_)) || *p_ == '_' || *p_ == '.')) ++p_;
    if (p_ == s) fail(fmt::format("expected {}, found '{}'", what, describe_here()));
    return std::string_view(s, p_ - s);
  }

  bool consume(char c) {
    skip_space();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!consume(c)) fail(fmt::format("expected '{}', found '{}'", c, describe_here()));
  }

  void optional_colon() { consume(':'); }

  // Opens a message: returns the closing character.
  char open(const char* what) {
    if (consume('{')) return '}';
    if (consume('<')) return '>';
    fail(fmt::format("expected '{{' to open {}, found '{}'", what, describe_here()));
  }

  bool at_close(char close) {
    skip_space();
    if (p_ == end_) fail(fmt::format("unexpected end of file: missing '{}'", close));
    if (*p_ == close) {
      ++p_;
      return true;
    }
    return false;
  }

  void string_literal(std::string& out) {
    skip_space();
    if (p_ == end_ || (*p_ != '"' && *p_ != '\'')) fail(fmt::format("expected a string, found '{}'", describe_here()));
    out.clear();
    // Adjacent literals concatenate, as in protobuf's text format.
    while (p_ < end_ && (*p_ == '"' || *p_ == '\'')) {
      const char quote = *p_++;
      while (true) {
        if (p_ == end_ || *p_ == '\n') fail("unterminated string");
        char c = *p_++;
        if (c == quote) break;
        if (c != '\\') {
          out += c;
          continue;
        }
        if (p_ == end_) fail("unterminated string");
        c = *p_++;
        switch (c) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '\\': out += '\\'; break;
          case '\'': out += '\''; break;
          case '"': out += '"'; break;
          case 'a': out += '\a'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'v': out += '\v'; break;
          case '?': out += '?'; break;
          case 'x': {
            int v = 0, digits = 0;
            while (p_ < end_ && digits < 2 && std::isxdigit(static_cast<unsigned char>(*p_))) {
              v = v * 16 + (std::isdigit(static_cast<unsigned char>(*p_)) ? *p_ - '0' : (std::tolower(*p_) - 'a' + 10));
              ++p_;
              ++digits;
            }
            if (!digits) fail("invalid \\x escape");
            out += static_cast<char>(v);
            break;
          }
          default:
            if (c >= '0' && c <= '7') {
              int v = c - '0';
              for (int k = 0; k < 2 && p_ < end_ && *p_ >= '0' && *p_ <= '7'; ++k) v = v * 8 + (*p_++ - '0');
              out += static_cast<char>(v);
            } else {
              fail(fmt::format("invalid escape '\\{}' in string", c));
            }
        }
      }
      skip_space();
    }
  }

  // A scalar that is not a string: a number, or an identifier such as true, nan, inf.
  std::string_view scalar() {
    skip_space();
    const char* s = p_;
    if (p_ < end_ && (*p_ == '-' || *p_ == '+')) ++p_;
    while (p_ < end_ && (std::isalnum(static_cast<unsigned char>(*p_)) || *p_ == '.' || *p_ == '_' ||
                         ((*p_ == '-' || *p_ == '+') && (p_[-1] == 'e' || p_[-1] == 'E'))))
      ++p_;
    if (p_ == s) fail(fmt::format("expected a value, found '{}'", describe_here()));
    return std::string_view(s, p_ - s);
  }

  double number(std::string_view tok) {
    std::string_view t = tok;
    bool negative = false;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
      negative = t[0] == '-';
      t.remove_prefix(1);
    }
    if (t.size() > 1 && (t.back() == 'f' || t.back() == 'F') && !iequals(t, "inf")) t.remove_suffix(1);
    double v = 0;
    if (iequals(t, "inf") || iequals(t, "infinity")) {
      v = INFINITY;
    } else if (iequals(t, "nan")) {
      v = NAN;
    } else {
      auto [q, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || q != t.data() + t.size()) {
        // Hexadecimal integers are legal in the text format.
        if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
          unsigned long long u = 0;
          auto [q2, ec2] = std::from_chars(t.data() + 2, t.data() + t.size(), u, 16);
          if (ec2 == std::errc() && q2 == t.data() + t.size()) return negative ? -double(u) : double(u);
        }
        fail(fmt::format("invalid number '{}'", tok));
      }
    }
    return negative ? -v : v;
  }

  void read_node(RawNode& node, char close) {
    while (!at_close(close)) {
      std::string_view field = identifier("a node field");
      if (field == "name") {
        optional_colon();
        string_literal(node.name);
      } else if (field == "input") {
        optional_colon();
        if (consume('[')) {
          if (!consume(']')) {
            do {
              node.inputs.emplace_back();
              string_literal(node.inputs.back());
            } while (consume(','));
            expect(']');
          }
        } else {
          node.inputs.emplace_back();
          string_literal(node.inputs.back());
        }
      } else if (field == "attr") {
        optional_colon();
        read_attr(node, open("attr"));
      } else if (field == "op" || field == "device") {
        optional_colon();
        string_literal(scratch_);
      } else {
        fail(fmt::format("unknown node field '{}'", field));
      }
      consume(';') || consume(',');
    }
  }

  void read_attr(RawNode& node, char close) {
    RawAttr& a = node.add_attr();
    while (!at_close(close)) {
      std::string_view field = identifier("'key' or 'value'");
      if (field == "key") {
        optional_colon();
        string_literal(a.key);
      } else if (field == "value") {
        optional_colon();
        const char vclose = open("value");
        while (!at_close(vclose)) {
          std::string_view kind = identifier("a value kind (f, placeholder, ...)");
          if (kind == "f" || kind == "i") {
            optional_colon();
            a.kind = RawAttr::kNumber;
            a.number = number(scalar());
          } else if (kind == "placeholder" || kind == "s") {
            optional_colon();
            a.kind = RawAttr::kText;
            string_literal(a.text);
          } else if (kind == "b") {
            optional_colon();
            std::string_view v = scalar();
            if (v != "true" && v != "false" && v != "1" && v != "0" && v != "True" && v != "False")
              fail(fmt::format("invalid bool '{}'", v));
            a.kind = RawAttr::kOther;
          } else if (kind == "list") {
            optional_colon();
            a.kind = RawAttr::kOther;
            skip_message(open("list"));
          } else {
            fail(fmt::format("unknown attribute value kind '{}'", kind));
          }
          consume(';') || consume(',');
        }
      } else {
        fail(fmt::format("unknown attr field '{}'", field));
      }
      consume(';') || consume(',');
    }
  }

  void skip_message(char close) {
    while (!at_close(close)) {
      std::string_view f = identifier("a field name");
      skip_value(f);
    }
  }

  void skip_value(std::string_view field) {
    skip_space();
    const bool colon = consume(':');
    skip_space();
    if (p_ < end_ && (*p_ == '{' || *p_ == '<')) {
      skip_message(open("a message"));
    } else if (!colon) {
      fail(fmt::format("expected ':' or '{{' after '{}'", field));
    } else if (consume('[')) {
      if (!consume(']')) {
        do {
          skip_space();
          if (p_ < end_ && (*p_ == '"' || *p_ == '\'')) string_literal(scratch_);
          else if (p_ < end_ && (*p_ == '{' || *p_ == '<')) skip_message(open("a message"));
          else scalar();
        } while (consume(','));
        expect(']');
      }
    } else if (p_ < end_ && (*p_ == '"' || *p_ == '\'')) {
      string_literal(scratch_);
    } else {
      scalar();
    }
    consume(';') || consume(',');
  }

  const std::string& path_;
  const char* p_;
  const char* end_;
  int line_ = 1;
  std::string scratch_;
};

// Header comments: canvas ("FP bbox"), block name and blockages.
void read_header_comments(const std::string& path, const std::string& content, Netlist& nl) {
  static const std::regex fp_bbox(R"(FP bbox:\s*\{\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\}\s*\{\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\})");
  static const std::regex block(R"(^\s*#\s*Block\s*:\s*(\S+))");
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
    } else if (auto b = parse_blockage_line(line.substr(first + 1), fmt::format("{}:{}", path, line_no))) {
      nl.blockages.push_back(*b);
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

void to_raw(const pb::NodeDef& in, int ordinal, RawNode& out) {
  out.clear();
  out.name = in.name();
  out.line = 0;
  out.ordinal = ordinal;
  for (const std::string& s : in.input()) out.inputs.push_back(s);
  for (const auto& [key, value] : in.attr()) {
    RawAttr& a = out.add_attr();
    a.key = key;
    switch (value.value_case()) {
      case pb::AttrValue::kF: a.kind = RawAttr::kNumber; a.number = value.f(); break;
      case pb::AttrValue::kI: a.kind = RawAttr::kNumber; a.number = static_cast<double>(value.i()); break;
      case pb::AttrValue::kPlaceholder: a.kind = RawAttr::kText; a.text = value.placeholder(); break;
      case pb::AttrValue::kS: a.kind = RawAttr::kText; a.text = value.s(); break;
      default: a.kind = RawAttr::kOther; break;
    }
  }
}

}  // namespace

Netlist parse_netlist(const std::string& path, const std::string& content) {
  if (content.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError(fmt::format("{}: file is empty", path));
  NetlistBuilder builder(path);
  if (looks_binary(path, content)) {
    pb::GraphDef graph;
    if (!graph.ParseFromString(content))
      throw InputError(fmt::format("{}: not a valid binary GraphDef netlist (truncated or corrupt)", path));
    RawNode raw;
    for (int i = 0; i < graph.node_size(); ++i) {
      to_raw(graph.node(i), i, raw);
      builder.add(raw);
    }
    return builder.finish();
  }
  read_header_comments(path, content, builder.netlist());
  TextReader(path, content).read([&](const RawNode& node) { builder.add(node); });
  return builder.finish();
}

Netlist read_netlist(const std::string& path) { return parse_netlist(path, read_file(path)); }

}  // namespace rlplace
