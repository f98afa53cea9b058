// The one way to include Boost.Asio. GCC 12 with Boost 1.74 in C++20 needs <utility> first
// (Asio uses std::exchange without including it), so nobody includes Asio directly.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace conclave {
namespace asio = boost::asio;
}
