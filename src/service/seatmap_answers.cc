#include "service/seatmap_answers.h"

#include "domain/memory_estimate.h"

namespace inventory::service {

std::shared_ptr<const std::string> SeatMapAnswers::Find(const std::string& key, const SnapshotPtr& snapshot,
                                                        int64_t now_ms) {
  auto it = answers_.find(key);
  if (it == answers_.end()) return nullptr;
  const Answer& answer = it->second;
  if (answer.snapshot.lock() != snapshot || answer.version != snapshot->version || now_ms >= answer.valid_until_ms) {
    return nullptr;
  }
  recency_.splice(recency_.begin(), recency_, answer.recency);
  return answer.bytes;
}

std::shared_ptr<SeatMapRows> SeatMapAnswers::Rows(const std::string& key) const {
  auto it = answers_.find(key);
  return it == answers_.end() ? nullptr : it->second.rows;
}

void SeatMapAnswers::Put(const std::string& key, const SnapshotPtr& snapshot, int64_t valid_until_ms,
                         std::shared_ptr<const std::string> bytes, std::shared_ptr<SeatMapRows> rows) {
  if (auto old = answers_.find(key); old != answers_.end()) Drop(old);
  // The text (one allocation with its control block, see make_shared), the
  // map node, the key in it and again in the recency list.
  const uint64_t size = bytes->capacity() + 1 + sizeof(std::string) + 16 + domain::kAllocationOverhead +
                        domain::NodeBytes(sizeof(Answers::value_type)) + domain::NodeBytes(sizeof(std::string)) +
                        2 * domain::StringHeapBytes(key) + (rows != nullptr ? rows->EstimatedBytes() : 0);
  if (size > max_bytes_) return;
  recency_.push_front(key);
  Answer& answer = answers_[key];
  answer.snapshot = snapshot;
  answer.version = snapshot->version;
  answer.valid_until_ms = valid_until_ms;
  answer.bytes = std::move(bytes);
  answer.rows = std::move(rows);
  answer.counted_bytes = size;
  answer.recency = recency_.begin();
  stats_.bytes += size;
  ++stats_.answers;
  while (stats_.bytes > max_bytes_) {
    Drop(answers_.find(recency_.back()));
    ++stats_.evictions;
  }
}

void SeatMapAnswers::Drop(Answers::iterator it) {
  stats_.bytes -= it->second.counted_bytes;
  --stats_.answers;
  recency_.erase(it->second.recency);
  answers_.erase(it);
}

}  // namespace inventory::service
