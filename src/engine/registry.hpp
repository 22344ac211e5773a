#pragma once
// Services register typed handlers here; the engine and the ingress see them type-erased.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/json_writer.hpp"
#include "engine/context.hpp"

namespace orderd {

// A handler with its types erased: input and output are JSON text.
struct HandlerEntry {
  std::string service;
  std::string handler;
  // Decodes the input and runs the handler. Decoding throws json::InvalidField.
  std::function<Task<std::string>(Context&, std::string input)> invoke;
  // Decodes and discards the input: lets the ingress refuse bad requests before anything is
  // written.
  std::function<void(const boost::json::value& input)> validate;
  // Keyed handlers are called with a key (POST /{Service}/{key}/{handler}) and may keep durable
  // state under it.
  //  - Virtual objects: exclusive handlers run one at a time per key, in arrival order; shared
  //    ones run alongside and may only read.
  //  - Workflows (key = workflow id): the run handler executes once per key and may write state;
  //    the workflow's shared handlers run alongside it, read its state and, like run, use its
  //    durable promises to signal it and to answer queries.
  enum class Kind { kService, kExclusive, kShared, kWorkflowRun, kWorkflowShared };
  Kind kind = Kind::kService;
  bool keyed() const { return kind != Kind::kService; }
  bool writes_state() const { return kind == Kind::kExclusive || kind == Kind::kWorkflowRun; }
  bool workflow() const { return kind == Kind::kWorkflowRun || kind == Kind::kWorkflowShared; }
  // A workflow's run handler only (Registry::attach_same_input): a second call with the input of
  // the run attaches to it instead of the default 409.
  bool attach_same_input = false;
};

class Registry {
 public:
  // A handler is any callable `Task<Resp>(Context&, Req)`. Req and Resp convert to and from JSON
  // through Boost.JSON's tag_invoke customisation. Pass state to coroutines by value: a callable
  // that is itself a coroutine lambda must not capture.
  template <class Req, class Resp, class Fn>
  void add(std::string service, std::string handler, Fn fn,
           HandlerEntry::Kind kind = HandlerEntry::Kind::kService) {
    HandlerEntry entry;
    entry.service = service;
    entry.handler = handler;
    entry.kind = kind;
    entry.invoke = [fn = std::move(fn)](Context& ctx, std::string input) {
      return run_typed<Req, Resp>(fn, ctx, std::move(input));
    };
    entry.validate = [](const boost::json::value& input) {
      (void)boost::json::value_to<Req>(input);
    };
    entries_[key(service, handler)] = std::move(entry);
  }
  template <class Req, class Resp>
  void add(std::string service, std::string handler, Task<Resp> (*fn)(Context&, Req),
           HandlerEntry::Kind kind = HandlerEntry::Kind::kService) {
    add<Req, Resp>(std::move(service), std::move(handler),
                   std::function<Task<Resp>(Context&, Req)>(fn), kind);
  }

  // A domain table (write_set.hpp), declared once by the domain that owns it. Rows may only be
  // written to declared tables: a misspelt name fails the step instead of creating a table.
  void add_table(std::string name) { tables_.insert(std::move(name)); }
  bool has_table(std::string_view name) const { return tables_.count(name) > 0; }

  // Services are internal unless exposed: only orderd's own routes and handlers start them,
  // through the engine, and the public ingress answers 404 as for an unknown service. Exposed
  // services (the seed's tutorial services, OrderReview) take calls from the public ingress.
  // A service may instead expose some of its handlers only: its other handlers then answer the
  // public ingress as unknown handlers of that service do (404, the same message).
  void expose(std::string service) { public_services_.insert(std::move(service)); }
  void expose(std::string service, std::string handler) {
    public_handlers_.insert(key(service, handler));
    services_with_public_handlers_.insert(std::move(service));
  }
  // Whether the public ingress may call `service`'s `handler`: the service or that handler is
  // exposed.
  bool is_public(std::string_view service, std::string_view handler) const {
    return public_services_.count(service) > 0 || public_handlers_.count(key(service, handler)) > 0;
  }
  // Whether some handler of `service` is public: the ingress then names the service in its 404s.
  bool is_public(std::string_view service) const {
    return public_services_.count(service) > 0 || services_with_public_handlers_.count(service) > 0;
  }

  // Opt-in for a workflow (its run handler must be registered first): a second call of its run
  // handler with the same input (canonical JSON text) attaches to the run and answers its
  // outcome, as the first caller got it; another input is still 409 workflow_already_invoked.
  // Without it every second call is 409, whatever its input (Restate's answer).
  void attach_same_input(std::string_view service);

  // Confines customers (auth::Caller::owns_only) to their own runs of `service`, a workflow:
  // its run handler takes them only when the body's `owner_field` is their subject, and its
  // shared handlers only for a key whose run they started (ingress/workflow_confinement.hpp).
  void confine_workflow(std::string service, std::string owner_field) {
    confined_workflows_[std::move(service)] = std::move(owner_field);
  }
  // The body field that names a confined workflow's owner; nullptr when it is not confined.
  const std::string* workflow_owner_field(std::string_view service) const {
    auto it = confined_workflows_.find(service);
    return it == confined_workflows_.end() ? nullptr : &it->second;
  }

  const HandlerEntry* find(std::string_view service, std::string_view handler) const;
  bool has_service(std::string_view service) const;
  // A workflow's run handler; nullptr when `service` is not a workflow.
  const HandlerEntry* workflow_run(std::string_view service) const;

 private:
  template <class Req, class Resp, class Fn>
  static Task<std::string> run_typed(Fn fn, Context& ctx, std::string input) {
    Req request = boost::json::value_to<Req>(boost::json::parse(input));
    Task<Resp> task = fn(ctx, std::move(request));
    Resp response = co_await std::move(task);
    co_return json::dump(boost::json::value_from(response));
  }
  static std::string key(std::string_view service, std::string_view handler) {
    std::string k(service);
    k.push_back('/');
    k.append(handler);
    return k;
  }

  std::map<std::string, HandlerEntry, std::less<>> entries_;
  std::set<std::string, std::less<>> tables_;
  std::set<std::string, std::less<>> public_services_;
  std::set<std::string, std::less<>> public_handlers_;  // "service/handler"
  std::set<std::string, std::less<>> services_with_public_handlers_;
  std::map<std::string, std::string, std::less<>> confined_workflows_;  // service -> owner field
};

}  // namespace orderd
