"""Many runs: replications, seeds, confidence intervals, comparisons, sweeps and executors."""
