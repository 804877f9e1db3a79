// lemon_mcf solves a DIMACS minimum-cost flow problem, such as the ones
// `millwa bench clearing --dimacs FILE` and `--dimacs-reduced FILE` write,
// with LEMON, so that the engine's optimum can be confirmed and its time
// compared on the same graph. It is not part of the Go build:
//
//   apt-get install -y liblemon-dev g++
//   g++ -O2 -o lemon_mcf lemon_mcf.cc -llemon
//   ./lemon_mcf reduced.min [ns|cs] [RUNS]
//
// ns is LEMON's network simplex with its default pivot rule, block search
// (the default), cs its cost scaling. The problem is read once and solved
// RUNS times (default 1), each time from scratch; only the solve is timed,
// from building the solver on the graph read to its optimum, not reading
// the file. It prints the least cost (for a millwa book, minus the
// greatest surplus), the time to read, and the wall and processor time of
// each solve and their medians, in milliseconds:
//
//   cost -2890395736768
//   read_ms 812.4
//   solve_ms 15.1 14.8 15.3
//   solve_cpu_ms 15.0 14.8 15.2
//   median_solve_ms 15.1
//   median_solve_cpu_ms 15.0
//
// Capacities, supplies and costs are 64-bit integers, as are the costs
// accumulated, so the cost printed is exact.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include <lemon/cost_scaling.h>
#include <lemon/dimacs.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#include <vector>

typedef lemon::SmartDigraph Digraph;
typedef long long Value;
typedef std::chrono::steady_clock Clock;

static double ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// cpuMs is the processor time this process has used, in milliseconds:
// on a busy machine it is steadier than the wall clock.
static double cpuMs() {
  return 1000.0 * double(std::clock()) / CLOCKS_PER_SEC;
}

// median is the middle of v, or the mean of the two middle values.
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void printAll(const char* name, const std::vector<double>& v) {
  std::cout << name;
  for (size_t i = 0; i < v.size(); ++i) std::cout << " " << v[i];
  std::cout << "\n";
}

// solve runs algorithm Alg on the problem runs times and prints its
// outcome; it returns the process's exit status.
template <typename Alg>
static int solve(const Digraph& g, const Digraph::ArcMap<Value>& lower,
                 const Digraph::ArcMap<Value>& upper,
                 const Digraph::ArcMap<Value>& cost,
                 const Digraph::NodeMap<Value>& supply, double read_ms,
                 int runs) {
  std::vector<double> wall, cpu;
  Value total = 0;
  for (int r = 0; r < runs; ++r) {
    Clock::time_point start = Clock::now();
    double cpu0 = cpuMs();
    Alg alg(g);
    alg.lowerMap(lower).upperMap(upper).costMap(cost).supplyMap(supply);
    typename Alg::ProblemType status = alg.run();
    double cpu1 = cpuMs();
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
    wall.push_back(ms(start, end));
    cpu.push_back(cpu1 - cpu0);
    total = alg.template totalCost<Value>();
  }
  std::cout << "cost " << total << "\n"
            << "read_ms " << read_ms << "\n";
  printAll("solve_ms", wall);
  printAll("solve_cpu_ms", cpu);
  std::cout << "median_solve_ms " << median(wall) << "\n"
            << "median_solve_cpu_ms " << median(cpu) << "\n";
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: lemon_mcf FILE [ns|cs] [RUNS]\n";
    return 2;
  }
  const char* algorithm = argc >= 3 ? argv[2] : "ns";
  int runs = argc == 4 ? std::atoi(argv[3]) : 1;
  if (runs < 1) {
    std::cerr << "lemon_mcf: RUNS " << argv[3] << ": want a positive integer\n";
    return 2;
  }
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
    return solve<lemon::CostScaling<Digraph, Value, Value> >(g, lower, upper, cost, supply, read_ms, runs);
  }
  return solve<lemon::NetworkSimplex<Digraph, Value, Value> >(g, lower, upper, cost, supply, read_ms, runs);
}
