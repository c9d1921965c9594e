// Boost.JSON is header-only in Debian's libboost1.81-dev only when its sources are compiled in
// exactly one translation unit of the program: this one. history_text_parser.cpp uses its
// SAX parser. Another library of agentrt that needs Boost.JSON links agentrt_replay (or this
// file moves to a library of its own) rather than including src.hpp again: twice is an ODR
// violation and a link error.
#include <boost/json/src.hpp>
