"""Graphviz drawings of the computation graph and plots of training."""
