"""The seegrad application: the demo job and its command line, composing `nn` (the model and
its training) and `visualize` (the pictures).

`python -m seegrad`, or the `seegrad` command once the package is installed, runs the demo: an
MLP learns the real 8x8 digits, its held-out accuracy and the time taken are printed, and the
pictures go to `out/`. The library packages know nothing of this one.
"""
import os

# The demos' arrays are small, and on two cores one BLAS thread is several times faster than
# two whenever anything else runs (200 steps of the GAN: 4.9 s of training against 43.9 s).
# This must happen before numpy loads; a value already in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
