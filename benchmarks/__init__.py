"""The benchmark suite (`make bench`). Each `benchmarks/bench_*.py` has `run(args) -> list[dict]`
rows with at least "benchmark", "figure", "value", "unit" (and optionally "goal", "note"); this
package runs them and prints one table. Benchmarks print figures; they never pass or fail CI."""
