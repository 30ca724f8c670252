#include "checker_calls.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace inventory::checker {
namespace {

grpc::ClientContext* WithDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return ctx;
}

}  // namespace

Op Calls::Begin(Kind kind, int instance, const std::string& user) {
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = ++seq_;
  }
  return Op::Begin(seq, -1, instance, kind, user);
}

Op Calls::Log(Op op) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_.push_back(op);
  return op;
}

Op Calls::Hold(int instance, const std::string& user, const std::vector<std::string>& seats, int first, int last,
               int duration_s, const std::string& note) {
  v1::HoldSeatsRequest req;
  req.set_trip_id(trip_.trip_id);
  req.set_organization_id(trip_.organization_id);
  req.set_user_id(user);
  req.set_session_id("s-" + user);
  req.set_from_station_id(StationId(first));
  req.set_to_station_id(StationId(last + 1));
  for (const std::string& s : seats) req.add_seat_ids(s);
  req.set_hold_duration_seconds(duration_s);
  Op op = Begin(Kind::kHold, instance, user);
  op.seats = seats;
  op.first = first;
  op.last = last;
  op.duration_s = duration_s;
  op.request_start_ms = op.start_ms;
  op.note = note;
  grpc::ClientContext ctx;
  v1::HoldSeatsResponse resp;
  grpc::Status st = cluster_.stub(instance).HoldSeats(WithDeadline(&ctx), req, &resp);
  op.Finish(st);
  op.TakeHoldAnswer(st, resp);
  return Log(std::move(op));
}

Op Calls::Confirm(int instance, const std::string& user, const std::string& hold_id,
                  const std::vector<std::string>& seats, const std::string& order, const std::string& note) {
  v1::ConfirmBookingRequest req;
  req.set_hold_id(hold_id);
  req.set_user_id(user);
  req.set_organization_id(trip_.organization_id);
  req.set_order_id(order);
  for (const std::string& s : seats) {
    v1::PassengerSeat* p = req.add_passengers();
    p->set_seat_id(s);
    p->set_passenger_name("P " + s);
    p->set_passenger_nid("N-" + s);
  }
  Op op = Begin(Kind::kConfirm, instance, user);
  op.hold_id = hold_id;
  op.seats = seats;
  op.note = absl::StrCat("order ", order, note.empty() ? "" : " ", note);
  grpc::ClientContext ctx;
  v1::ConfirmBookingResponse resp;
  grpc::Status st = cluster_.stub(instance).ConfirmBooking(WithDeadline(&ctx), req, &resp);
  op.Finish(st);
  op.TakeConfirmAnswer(st, resp);
  return Log(std::move(op));
}

Op Calls::Release(int instance, const std::string& user, const std::string& hold_id,
                  const std::vector<std::string>& seats, const std::string& note) {
  v1::ReleaseSeatsRequest req;
  req.set_hold_id(hold_id);
  req.set_user_id(user);
  req.set_organization_id(trip_.organization_id);
  Op op = Begin(Kind::kRelease, instance, user);
  op.hold_id = hold_id;
  op.seats = seats;
  op.note = note;
  grpc::ClientContext ctx;
  v1::ReleaseSeatsResponse resp;
  grpc::Status st = cluster_.stub(instance).ReleaseSeats(WithDeadline(&ctx), req, &resp);
  op.Finish(st);
  op.TakeReleaseAnswer(st, resp);
  return Log(std::move(op));
}

Op Calls::Cancel(int instance, const std::string& user, const std::string& hold_id, const std::string& booking_id,
                 const std::string& note) {
  v1::CancelBookingRequest req;
  req.set_booking_id(booking_id);
  req.set_user_id(user);
  req.set_organization_id(trip_.organization_id);
  req.set_reason("checker");
  Op op = Begin(Kind::kCancel, instance, user);
  op.hold_id = hold_id;
  op.booking_id = booking_id;
  op.note = note;
  grpc::ClientContext ctx;
  v1::CancelBookingResponse resp;
  grpc::Status st = cluster_.stub(instance).CancelBooking(WithDeadline(&ctx), req, &resp);
  op.Finish(st);
  op.TakeCancelAnswer(st, resp);
  return Log(std::move(op));
}

std::vector<Op> Calls::ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Op> out = ops_;
  std::sort(out.begin(), out.end(), [](const Op& a, const Op& b) { return a.seq < b.seq; });
  return out;
}

}  // namespace inventory::checker
