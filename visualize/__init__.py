"""Graphviz drawings of the computation graph and plots of training.

Importing needs neither the graphviz package, nor Graphviz's `dot` program, nor matplotlib:
each is loaded when a function needs it.

>>> from autograd import Value
>>> from visualize import draw_dot, render
>>> x = Value(0.5, name='x'); y = (2.0 * x).tanh(); y.backward()
>>> render(y, 'tanh.png')   # doctest: +SKIP
"""
from autograd.anomaly import hide_frames_of

from visualize.dot import dot_source, draw_dot
from visualize.explain import explain_gradient
from visualize.interactive import explore
from visualize.features import plot_feature_maps, plot_filters
from visualize.frames import backprop_frames
from visualize.gan import (GanSnapshot, animate_gan, discriminator_surface,
                           plot_gan_losses, plot_gan_samples)
from visualize.health import classify, reference
from visualize.program import draw_program, program_dot
from visualize.plots import (plot_decision_boundary, plot_gradient_flow, plot_history,
                             plot_predictions)
from visualize.render import GraphvizNotFoundError, render
from visualize.sequences import plot_attention, plot_gradient_through_time, plot_learning_curves
from visualize.trace import Graph, trace

hide_frames_of(__name__)      # anomaly reports name the user's line, not ours

__all__ = ["draw_dot", "dot_source", "draw_program", "program_dot", "render",
           "GraphvizNotFoundError", "backprop_frames",
           "plot_history", "plot_decision_boundary", "plot_predictions", "plot_gradient_flow",
           "trace", "Graph", "classify", "reference", "plot_filters", "plot_feature_maps",
           "plot_gradient_through_time", "plot_learning_curves", "plot_attention",
           "GanSnapshot", "discriminator_surface", "plot_gan_samples", "animate_gan",
           "plot_gan_losses",
           "explore",
           "explain_gradient"]
