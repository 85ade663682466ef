"""Side-by-side benchmarks of our engine against micrograd, MyGrad, PyTorch and a numpy floor.

Run `make bench` (or `python -m benchmarks --quick`); see `python -m benchmarks --help`.
"""

# The variables that size numpy's BLAS and torch's thread pools (read when those load).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
