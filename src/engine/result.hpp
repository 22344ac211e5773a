#pragma once
// Result<T>: a value or the typed Error that replaced it, for code that would rather branch than
// catch (a saga deciding whether to compensate: `co_await` is not allowed in a catch block).
#include <optional>
#include <stdexcept>
#include <utility>

#include "common/error.hpp"

namespace orderd {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}      // NOLINT: a value is a successful result
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return checked(); }
  T& value() & { return checked(); }
  T&& value() && { return std::move(checked()); }
  const T* operator->() const { return &checked(); }
  const T& operator*() const { return checked(); }
  const Error& error() const {
    if (!error_) throw std::logic_error("Result::error() of a successful result");
    return *error_;
  }

 private:
  T& checked() const {
    if (!value_) throw std::logic_error("Result::value() of a failed result: " + error_->message);
    return const_cast<T&>(*value_);
  }
  std::optional<T> value_;
  std::optional<Error> error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (!error_) throw std::logic_error("Result::error() of a successful result");
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace orderd
