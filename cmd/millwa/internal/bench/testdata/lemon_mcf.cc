// lemon_mcf solves a DIMACS minimum-cost flow problem, such as the one
// `millwa bench clearing --dimacs FILE` writes, with LEMON, so that the
// engine's optimum can be confirmed and its time compared:
//
//   g++ -O2 -o lemon_mcf lemon_mcf.cc -llemon
//   ./lemon_mcf book.min [ns|cs]
//
// ns is LEMON's network simplex (the default), cs its cost scaling. It
// prints the least cost (for a millwa book, minus the greatest surplus)
// and the times to read and to solve, in milliseconds:
//
//   cost -2890395736768
//   read_ms 812.4
//   solve_ms 95.1
//
// Capacities, supplies and costs are 64-bit integers, as are the costs
// accumulated, so the cost printed is exact.

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>

#include <lemon/cost_scaling.h>
#include <lemon/dimacs.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

typedef lemon::SmartDigraph Digraph;
typedef long long Value;
typedef std::chrono::steady_clock Clock;

static double ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// solve runs algorithm Alg on the problem and prints its outcome; it
// returns the process's exit status.
template <typename Alg>
static int solve(const Digraph& g, const Digraph::ArcMap<Value>& lower,
                 const Digraph::ArcMap<Value>& upper,
                 const Digraph::ArcMap<Value>& cost,
                 const Digraph::NodeMap<Value>& supply, double read_ms) {
  Clock::time_point start = Clock::now();
  Alg alg(g);
  alg.lowerMap(lower).upperMap(upper).costMap(cost).supplyMap(supply);
  typename Alg::ProblemType status = alg.run();
  Clock::time_point end = Clock::now();
  switch (status) {
    case Alg::OPTIMAL:
      break;
    case Alg::INFEASIBLE:
      std::cerr << "lemon_mcf: the problem is infeasible\n";
      return 1;
    default:
      std::cerr << "lemon_mcf: the problem is unbounded\n";
      return 1;
  }
  std::cout << "cost " << alg.template totalCost<Value>() << "\n"
            << "read_ms " << read_ms << "\n"
            << "solve_ms " << ms(start, end) << "\n";
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: lemon_mcf FILE [ns|cs]\n";
    return 2;
  }
  const char* algorithm = argc == 3 ? argv[2] : "ns";
  if (std::strcmp(algorithm, "ns") != 0 && std::strcmp(algorithm, "cs") != 0) {
    std::cerr << "lemon_mcf: algorithm " << algorithm << ": want ns or cs\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "lemon_mcf: cannot open " << argv[1] << "\n";
    return 1;
  }

  Digraph g;
  Digraph::ArcMap<Value> lower(g), upper(g), cost(g);
  Digraph::NodeMap<Value> supply(g);
  Clock::time_point start = Clock::now();
  try {
    lemon::readDimacsMin(in, g, lower, upper, cost, supply);
  } catch (const lemon::FormatError& e) {
    std::cerr << "lemon_mcf: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  double read_ms = ms(start, Clock::now());

  if (std::strcmp(algorithm, "cs") == 0) {
    return solve<lemon::CostScaling<Digraph, Value, Value> >(g, lower, upper, cost, supply, read_ms);
  }
  return solve<lemon::NetworkSimplex<Digraph, Value, Value> >(g, lower, upper, cost, supply, read_ms);
}
