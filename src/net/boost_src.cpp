// Compiles Asio, Asio.SSL and Beast once for the whole program (their *_SEPARATE_COMPILATION
// mode): a large saving in build time on a two-core machine.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
