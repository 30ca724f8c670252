// Status propagation helpers shared by every layer.
//
// Debian's Abseil (20220623) ships absl::Status and absl::StatusOr but not the
// RETURN_IF_ERROR / ASSIGN_OR_RETURN macros; these are the project's own.
// Each has a coroutine twin (CO_...) that uses co_return.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define INV_STATUS_CONCAT_INNER_(a, b) a##b
#define INV_STATUS_CONCAT_(a, b) INV_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    ::absl::Status inv_status_ = (expr);        \
    if (!inv_status_.ok()) return inv_status_; \
  } while (0)

#define CO_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    ::absl::Status inv_status_ = (expr);           \
    if (!inv_status_.ok()) co_return inv_status_; \
  } while (0)

// Declares `lhs` from a StatusOr expression, or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(INV_STATUS_CONCAT_(inv_statusor_, __LINE__), lhs, expr, return)
#define CO_ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(INV_STATUS_CONCAT_(inv_statusor_, __LINE__), lhs, expr, co_return)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) ret std::move(tmp).status();       \
  lhs = std::move(tmp).value()
