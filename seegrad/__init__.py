"""The seegrad application: the demo job and its command line, composing `nn` (the model and
its training) and `visualize` (the pictures).

`python -m seegrad`, or the `seegrad` command once the package is installed, runs the demo: an
MLP learns the real 8x8 digits, its held-out accuracy and the time taken are printed, and the
pictures go to `out/`. The library packages know nothing of this one.
"""
