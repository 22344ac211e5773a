#include "ingress/router.hpp"

#include <array>
#include <cctype>
#include <stdexcept>

#include "ingress/http_target.hpp"

namespace orderd::http {

constexpr std::array<std::string_view, 7> kMethodNames{"GET",   "HEAD",   "POST",   "PUT",
                                                       "PATCH", "DELETE", "OPTIONS"};

std::optional<Method> parse_method(std::string_view name) {
  for (std::size_t i = 0; i < kMethodNames.size(); ++i)
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  return std::nullopt;
}

std::string_view to_string(Method method) {
  return kMethodNames[static_cast<std::size_t>(method)];
}

// One path segment of the templates; a template's routes hang at the node of its last segment.
struct Router::Node {
  struct Endpoint {
    Method method;
    RouteFamily family;
    std::string route;               // the template, as added
    std::vector<std::string> names;  // its parameters, in path order
    RouteHandler handler;
    RouteAccess access;
  };
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> parameter;
  std::vector<std::unique_ptr<Endpoint>> endpoints;  // boxed: matches point into them

  Node* literal(std::string_view segment) const {
    for (const auto& [text, child] : literals)
      if (text == segment) return child.get();
    return nullptr;
  }
};

namespace {

std::vector<std::string_view> template_segments(std::string_view path_template) {
  if (path_template.empty() || path_template.front() != '/' ||
      path_template.find_first_of("?#") != std::string_view::npos)
    throw std::invalid_argument("a route template is a path starting with '/': " +
                                std::string(path_template));
  return split_target(path_template).segments;
}

// "{id}" -> "id"; nullopt for a literal. Throws for a brace anywhere else, or a bad name.
std::optional<std::string_view> parameter_name(std::string_view segment, std::string_view whole) {
  auto malformed = [whole] {
    return std::invalid_argument("malformed route template: " + std::string(whole));
  };
  if (segment.front() != '{') {
    if (segment.find_first_of("{}") != std::string_view::npos) throw malformed();
    return std::nullopt;
  }
  if (segment.size() < 3 || segment.back() != '}') throw malformed();
  std::string_view name = segment.substr(1, segment.size() - 2);
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') throw malformed();
  return name;
}

bool starts_with(const std::vector<std::string_view>& segments,
                 const std::vector<std::string>& prefix) {
  if (segments.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (segments[i] != prefix[i]) return false;
  return true;
}

}  // namespace

Router::Router(RouteFamily family) : family_(family), root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void Router::claim(std::string_view prefix, RouteFamily family) {
  if (!root_->literals.empty() || root_->parameter || !root_->endpoints.empty())
    throw std::invalid_argument("claim prefixes before adding routes");
  Claim c{{}, family};
  for (auto segment : template_segments(prefix)) c.prefix.emplace_back(segment);
  if (c.prefix.empty()) throw std::invalid_argument("claim a prefix, not the root");
  claims_.push_back(std::move(c));
}

void Router::add(Method method, std::string_view path_template, RouteHandler handler,
                 RouteFamily family, RouteAccess access) {
  auto segments = template_segments(path_template);
  std::vector<std::string> names;
  std::vector<std::string_view> literal_prefix;
  Node* node = root_.get();
  for (auto segment : segments) {
    if (auto name = parameter_name(segment, path_template)) {
      names.emplace_back(*name);
      if (!node->parameter) node->parameter = std::make_unique<Node>();
      node = node->parameter.get();
      continue;
    }
    if (names.empty()) literal_prefix.push_back(segment);
    Node* next = node->literal(segment);
    if (!next) {
      node->literals.emplace_back(std::string(segment), std::make_unique<Node>());
      next = node->literals.back().second.get();
    }
    node = next;
  }
  // Each path has one family (its claim's, or the router's); a route of another would never
  // match, which is a mistake better found at startup.
  if (family_of(literal_prefix) != family)
    throw std::invalid_argument("route " + std::string(path_template) +
                                " is outside its family's prefix");
  for (const auto& e : node->endpoints) {
    if (e->method == method)
      throw std::invalid_argument("route added twice: " + std::string(to_string(method)) + " " +
                                  std::string(path_template));
  }
  node->endpoints.push_back(std::make_unique<Node::Endpoint>(
      Node::Endpoint{method, family, std::string(path_template), std::move(names),
                     std::move(handler), std::move(access)}));
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  std::vector<const Node*> pending{root_.get()};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    for (const auto& e : node->endpoints)
      out.push_back({std::string(to_string(e->method)), e->route, &e->access});
    for (const auto& [text, child] : node->literals) pending.push_back(child.get());
    if (node->parameter) pending.push_back(node->parameter.get());
  }
  if (fallback_) out.push_back({"*", fallback_label_, &fallback_access_});
  return out;
}

void Router::set_fallback(RouteHandler handler, std::string label, RouteAccess access) {
  fallback_ = std::move(handler);
  fallback_label_ = std::move(label);
  fallback_access_ = std::move(access);
}

const Router::Claim* Router::claim_of(const std::vector<std::string_view>& segments) const {
  const Claim* best = nullptr;
  for (const auto& c : claims_)
    if (starts_with(segments, c.prefix) && (!best || c.prefix.size() > best->prefix.size()))
      best = &c;
  return best;
}

RouteFamily Router::family_of(const std::vector<std::string_view>& segments) const {
  const Claim* c = claim_of(segments);
  return c ? c->family : family_;
}

template <class Visit>
bool Router::walk(const Node& node, const std::vector<std::string_view>& segments, std::size_t i,
                  std::vector<std::string_view>& captured, Visit& visit) {
  if (i == segments.size()) return visit(node);
  if (const Node* literal = node.literal(segments[i]))
    if (walk(*literal, segments, i + 1, captured, visit)) return true;
  if (node.parameter) {
    captured.push_back(segments[i]);
    if (walk(*node.parameter, segments, i + 1, captured, visit)) return true;
    captured.pop_back();
  }
  return false;
}

RouteMatch Router::match(std::string_view method_name,
                         const std::vector<std::string_view>& segments) const {
  RouteMatch m;
  const Claim* claim = claim_of(segments);
  m.family = claim ? claim->family : family_;
  const auto method = parse_method(method_name);

  // The first node in precedence order with a route for this method wins; the others' methods
  // make the Allow header if none has one.
  const Node::Endpoint* found = nullptr;
  std::vector<std::string_view> captured;
  unsigned allowed = 0;  // bit i: kMethodNames[i]
  auto visit = [&](const Node& node) {
    for (const auto& e : node.endpoints) {
      if (e->family != m.family) continue;
      if (method && e->method == *method) {
        found = e.get();
        return true;
      }
      allowed |= 1u << static_cast<unsigned>(e->method);
    }
    return false;
  };
  walk(*root_, segments, 0, captured, visit);

  if (found) {
    m.kind = RouteMatch::Kind::kRoute;
    m.handler = &found->handler;
    m.route = found->route;
    m.access = &found->access;
    for (std::size_t i = 0; i < found->names.size(); ++i)
      m.params.emplace_back(found->names[i], percent_decode(captured[i]));
  } else if (allowed != 0) {
    m.kind = RouteMatch::Kind::kWrongMethod;
    for (std::size_t i = 0; i < kMethodNames.size(); ++i) {
      if (!(allowed & (1u << i))) continue;
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += kMethodNames[i];
    }
  } else if (!claim && fallback_) {
    m.kind = RouteMatch::Kind::kFallback;
    m.handler = &fallback_;
    m.route = fallback_label_;
    m.access = &fallback_access_;
  }
  return m;
}

}  // namespace orderd::http
