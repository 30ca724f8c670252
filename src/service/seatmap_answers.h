// Serialized seat-map answers (GetSeatMapResponse bytes) by trip and journey,
// kept to a byte budget, least recently used first out.
//
// An answer is reused only for the snapshot it was built from, at the
// version it was built at, until `valid_until_ms` (the first expiry of a hold
// it shows). It does not keep that snapshot alive: once the snapshot cache
// lets the snapshot go, the answer is stale and waits to be replaced or
// evicted.
//
// Memory. Each answer counts its bytes, its row encodings, its key twice and
// its bookkeeping
// (an estimate, see domain/memory_estimate.h). Past `max_bytes` (> 0) the
// least recently used answers go (a Find that reuses an answer, or a Put,
// makes it the most recent). An answer larger than the whole budget is not
// kept.
//
// Threading: not locked; REQUIRES every call on one thread (the service's
// io thread).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "domain/trip_snapshot.h"
#include "service/seat_map_rows.h"

namespace inventory::service {

struct SeatMapAnswersStats {
  uint64_t evictions = 0;  // answers dropped to keep to the budget
  // Gauges: now.
  uint64_t bytes = 0;  // estimated, bookkeeping included
  uint64_t answers = 0;
};

class SeatMapAnswers {
 public:
  using SnapshotPtr = std::shared_ptr<const domain::TripSnapshot>;

  explicit SeatMapAnswers(uint64_t max_bytes) : max_bytes_(max_bytes) {}
  SeatMapAnswers(const SeatMapAnswers&) = delete;
  SeatMapAnswers& operator=(const SeatMapAnswers&) = delete;

  // The answer under `key` if it was built from `snapshot` at its current
  // version and is still valid at `now_ms`; null otherwise.
  std::shared_ptr<const std::string> Find(const std::string& key, const SnapshotPtr& snapshot, int64_t now_ms);
  // Keeps `bytes` under `key` (replacing what was there) as built from
  // `snapshot` at its current version, valid until `valid_until_ms`, with
  // the row encodings it was assembled from (may be null; counted too).
  void Put(const std::string& key, const SnapshotPtr& snapshot, int64_t valid_until_ms,
           std::shared_ptr<const std::string> bytes, std::shared_ptr<SeatMapRows> rows = nullptr);
  // The row encodings kept under `key`, to build its next answer from
  // (null: none).
  std::shared_ptr<SeatMapRows> Rows(const std::string& key) const;

  const SeatMapAnswersStats& stats() const { return stats_; }
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  struct Answer {
    std::weak_ptr<const domain::TripSnapshot> snapshot;  // the one it was built from
    uint64_t version = 0;
    int64_t valid_until_ms = 0;
    std::shared_ptr<const std::string> bytes;
    std::shared_ptr<SeatMapRows> rows;
    uint64_t counted_bytes = 0;
    std::list<std::string>::iterator recency;  // its key in recency_
  };
  using Answers = std::map<std::string, Answer>;

  void Drop(Answers::iterator it);

  const uint64_t max_bytes_;
  Answers answers_;
  std::list<std::string> recency_;  // keys of answers_, most recently used first
  SeatMapAnswersStats stats_;
};

}  // namespace inventory::service
