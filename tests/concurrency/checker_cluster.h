// The checker's cluster (DESIGN.md §6): N inventoryd child processes on one
// Cassandra keyspace and one private redis-server, for the checker scenarios.
//
// Cluster::Start starts a redis::testing::RedisServer, then the instances:
// the first one alone (it creates the keyspace and the schema), then all the
// others together, and returns once every instance answers the gRPC health
// check with SERVING. Every instance listens on 127.0.0.1 on free ports (gRPC
// and HTTP) and writes its output to its own log file. Each instance can be
// given its own extra flags, extra environment variables (e.g. LD_PRELOAD and
// FAKETIME for a skewed clock) and its own CQL host:port (e.g. a
// CqlFaultProxy in front of Cassandra).
//
// The binary is $INVENTORY_CHECKER_INVENTORYD when set (e.g. an older build
// of the service, to run the same checks against it), else this tree's
// inventoryd (INVENTORYD_PATH, fixed at build time).
//
// On destruction every instance still running is killed (SIGKILL) and
// reaped, then Redis is stopped: a failing test leaves nothing behind. The
// keyspace is left alone.
//
// THREADING: Start, Kill, Stop, Signal, WaitServing and the destructor on one
// thread (the test's). stub(), channel() and the address/port/path
// accessors may be used from any thread once Start returned (the stubs stay
// valid after their instance died; calls to it fail UNAVAILABLE).
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "checker_db.h"
#include "common/test_http.h"
#include "common/test_process.h"
#include "inventory/v1/inventory.grpc.pb.h"
#include "testing/redis_server.h"

namespace inventory::checker {

// How one instance differs from the others.
struct InstanceOptions {
  // Flags appended after the harness's and ClusterOptions::common_args
  // (inventoryd takes the last of a repeated flag, so these win).
  std::vector<std::string> args;
  // Variables set in the instance's environment (replacing inherited ones of
  // the same name); everything else is inherited from the test.
  std::vector<std::pair<std::string, std::string>> env;
  // Where the instance finds Cassandra; empty / 0: INVENTORY_TEST_CQL_HOST /
  // INVENTORY_TEST_CQL_PORT.
  std::string cql_host;
  int cql_port = 0;
  // When set, passed as --scylla-hosts verbatim (several contact points,
  // "a:p,b:p"), and cql_host / cql_port are ignored.
  std::string cql_hosts;
};

struct ClusterOptions {
  std::string keyspace;                    // REQUIRED: --scylla-keyspace of every instance
  std::vector<InstanceOptions> instances;  // one per instance; REQUIRED: at least one
  std::vector<std::string> common_args;    // flags every instance gets
  // Instance i logs to <log_dir>/<log_prefix>-<pid>-inst<i>.log; an empty
  // log_dir means ::testing::TempDir().
  std::string log_dir;
  std::string log_prefix = "checker";
  std::chrono::seconds start_timeout{120};  // per wait for SERVING
  // Start every instance at once, the schema included (by default the first
  // starts alone and creates it).
  bool start_together = false;
  redis::testing::RedisServer::Options redis;
};

class Cluster {
 public:
  // The inventoryd binary the instances run (see above).
  static std::string InventorydPath();

  // Starts Redis and the instances (see above). Each instance gets
  //   --grpc-port P --http-port H --scylla-hosts host:port --redis-addr
  //   127.0.0.1:R --scylla-keyspace K --listen-address 127.0.0.1
  // then common_args, then its own args. Fails (the started processes are
  // then killed) when Redis does not start (its status), a process cannot be
  // forked (INTERNAL) or an instance does not serve within start_timeout
  // (UNAVAILABLE, with the instance's log).
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int size() const { return static_cast<int>(instances_.size()); }
  const std::string& keyspace() const { return options_.keyspace; }
  redis::testing::RedisServer& redis() { return *redis_; }

  // REQUIRES for every per-instance method: 0 <= i < size().
  v1::InventoryService::Stub& stub(int i) const;
  const std::shared_ptr<grpc::Channel>& channel(int i) const;
  const std::string& target(int i) const;  // "127.0.0.1:<grpc port>"
  int grpc_port(int i) const;
  int http_port(int i) const;
  const std::string& log_path(int i) const;
  std::string Log(int i) const;  // the log's contents so far

  // Whether instance i's process has not been seen to exit (a Kill, Stop or
  // WaitServing reaps it). Its pid while it runs.
  bool running(int i) const;
  pid_t pid(int i) const;

  // Sends `sig` (e.g. SIGSTOP / SIGCONT) to instance i if it runs.
  void Signal(int i, int sig);
  // SIGKILL, then reaps it (waits up to 10 s).
  void Kill(int i);
  // SIGTERM, then waits up to `grace` for it to exit. Returns its wait status
  // (WIFEXITED/WEXITSTATUS), or nullopt if it still runs (it is left running).
  std::optional<int> Stop(int i, std::chrono::milliseconds grace = std::chrono::seconds(30));

  // Polls the gRPC health check of instance i until SERVING (true), or until
  // `timeout` passes or the process exits (false).
  bool WaitServing(int i, std::chrono::milliseconds timeout);

  // GET http://127.0.0.1:<http port of i><path> ("/metrics", "/health");
  // nullopt when nothing answers within 5 s.
  std::optional<testing::HttpAnswer> HttpGet(int i, const std::string& path) const;

  // InitializeTripInventory through instance i for `trip`: stops
  // StationId(0) … StationId(trip.segments), segment k departing at
  // 1000 + 100 k and arriving 50 later, vehicle trip.vehicle_id of type "bus",
  // every seat economy "aisle" at 50000 paisa laid out by trip.columns.
  // Deadline 60 s. The gRPC error, or FAILED_PRECONDITION if the answer is
  // success=false.
  absl::Status CreateTrip(const TripShape& trip, int i) const;

 private:
  struct Instance {
    InstanceOptions options;
    int grpc_port = 0, http_port = 0;
    std::string target, log_path;
    std::unique_ptr<testing::ChildProcess> process;  // SIGKILLed and reaped on destruction
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::InventoryService::Stub> stub;
  };

  explicit Cluster(ClusterOptions options);
  absl::Status Spawn(int i);
  const Instance& at(int i) const { return instances_[static_cast<size_t>(i)]; }
  Instance& at(int i) { return instances_[static_cast<size_t>(i)]; }

  ClusterOptions options_;
  std::unique_ptr<redis::testing::RedisServer> redis_;
  std::vector<Instance> instances_;  // after redis_: the instances go first
};

}  // namespace inventory::checker
