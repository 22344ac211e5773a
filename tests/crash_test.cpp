// kill -9 while dozens of orders are in flight, twice, then restart on the same data: every
// accepted order completes, and no step whose record was committed ever runs again.
//
// How "ran again" is observed: orderd --audit-log appends "step <invocation> <index> ..." once a
// step executed live (never on replay) has its record committed, and "done <invocation>" once an
// outcome is committed. A crash can lose a line (between commit and write) but a re-executed
// committed step or a second completion shows up as a duplicate line.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "client/http_client.hpp"
#include "support/fixtures.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::HttpClient;
using client::HttpResult;

using namespace std::chrono_literals;

const std::string& kOrder = kSeedOrder;

struct Audit {
  std::map<std::string, int> steps;  // "inv index" -> times executed
  std::map<std::string, int> done;   // inv -> times completed
};

Audit read_audit(const std::filesystem::path& path) {
  Audit audit;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string what, id, index;
    words >> what >> id >> index;
    if (what == "step") ++audit.steps[id + " " + index];
    if (what == "done") ++audit.done[id];
  }
  return audit;
}

std::size_t count_done(const Audit& audit, const std::vector<std::string>& ids) {
  std::size_t n = 0;
  for (const auto& id : ids) n += audit.done.count(id);
  return n;
}

class CrashTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path audit_path = dir.path() / "audit.log";
  std::vector<std::string> args{"--latency-scale",    "1",  "--failure-scale", "1",
                                "--retry-initial-ms", "50", "--audit-log",     audit_path.string()};

  // Sends `count` orders (a quarter of them sequential) and returns their invocation ids.
  std::vector<std::string> send_orders(std::uint16_t port, int count) {
    HttpClient client(port);
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      auto path =
          i % 4 == 0 ? "/OrderServiceSlow/ProcessOrder/send" : "/OrderService/ProcessOrder/send";
      auto r = client.post(path, kOrder);
      EXPECT_EQ(r.status, 202u) << r.body;
      ids.push_back(r.restate_id);
    }
    return ids;
  }

  // Kills orderd as soon as the first of `ids` has finished: the others are mid-flight.
  void kill_mid_flight(OrderdProcess& orderd, const std::vector<std::string>& ids) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline &&
           count_done(read_audit(audit_path), ids) == 0)
      std::this_thread::sleep_for(1ms);
    orderd.kill_hard();
    auto finished = count_done(read_audit(audit_path), ids);
    std::cout << "killed with " << ids.size() - finished << " of " << ids.size()
              << " orders in flight\n";
    EXPECT_LT(finished, ids.size()) << "every order had finished: the test crashed nothing";
  }
};

TEST_F(CrashTest, KillNineUnderLoadLosesNothingAndRunsNothingTwice) {
  std::vector<std::string> accepted;
  {
    OrderdProcess orderd(dir.path().string(), args);
    auto batch = send_orders(orderd.port(), 40);
    accepted.insert(accepted.end(), batch.begin(), batch.end());
    kill_mid_flight(orderd, batch);
  }
  {
    // Recovery runs while new orders arrive, and is itself killed.
    OrderdProcess orderd(dir.path().string(), args);
    auto batch = send_orders(orderd.port(), 40);
    accepted.insert(accepted.end(), batch.begin(), batch.end());
    kill_mid_flight(orderd, batch);
  }

  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  for (const auto& id : accepted) {
    auto r = client.get("/restate/invocation/" + id + "/attach");
    ASSERT_EQ(r.status, 200u) << id << ": " << r.body;
    auto result = boost::json::parse(r.body).as_object();
    EXPECT_TRUE(result["status"] == "confirmed" || result["status"] == "failed") << r.body;
  }
  ASSERT_EQ(orderd.terminate(), 0);

  Audit audit = read_audit(audit_path);
  for (const auto& [step, times] : audit.steps) EXPECT_EQ(times, 1) << "step ran twice: " << step;
  for (const auto& [id, times] : audit.done) EXPECT_EQ(times, 1) << "completed twice: " << id;

  // The store agrees: nothing left running, one child per call step, every child finished.
  const auto db = dir.path() / "orderd.db";
  auto count = [&db](const char* sql) { return query_int(db, sql); };
  EXPECT_EQ(count("SELECT count(*) FROM invocations WHERE status = 1"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM invocations WHERE parent_id IS NULL"),
            static_cast<int>(accepted.size()));
  EXPECT_EQ(count("SELECT count(*) FROM journal WHERE kind = 1"),
            count("SELECT count(*) FROM invocations WHERE parent_id IS NOT NULL"));
  EXPECT_EQ(count("SELECT count(*) FROM journal j LEFT JOIN invocations c ON c.id = CAST(j.payload "
                  "AS TEXT) "
                  "AND c.parent_id = j.invocation_id AND c.parent_index = j.idx "
                  "WHERE j.kind = 1 AND c.id IS NULL"),
            0);
  EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace orderd::testing
